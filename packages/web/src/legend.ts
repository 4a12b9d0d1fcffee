import { MA_COLOURS } from "./chart.ts"
import { fill, h } from "./dom.ts"
import { compact, direction, localStamp, percent, price, sessionDate } from "./format.ts"
import { locale, t } from "./i18n.ts"
import type { Bar, Indicators, Interval } from "./types.ts"
import { isIntraday } from "./types.ts"

const item = (key: string, label: string, value: number | null | undefined, text: string, cls = "", colour?: string) => {
  const el = h("span", { class: `lg-item ${cls}`, "data-key": key, "data-value": value ?? "" }, h("span", { class: "lg-label" }, label), " ", h("span", { class: "lg-value" }, text))
  // Set through the CSSOM, which a strict Content-Security-Policy allows.
  if (colour !== undefined) (el.firstChild as HTMLElement).style.color = colour
  return el
}

/**
 * The values at the crosshair (or of the last bar): prices and volume, then
 * each indicator line, with the raw figure in `data-value` beside the
 * formatted one.
 */
export const drawLegend = (
  el: HTMLElement,
  bars: ReadonlyArray<Bar>,
  index: number,
  interval: Interval,
  timeZone: string,
  indicators: Indicators | undefined,
  boll: boolean
) => {
  const bar = bars[index]
  if (bar === undefined) {
    el.replaceChildren()
    return
  }
  const prev = bars[index - 1]
  const l = locale()
  const change = prev === undefined ? undefined : ((bar.close - prev.close) / prev.close) * 100
  const when = isIntraday(interval) && bar.ts !== undefined ? localStamp(bar.ts, timeZone) : sessionDate(bar.date, l)
  el.dataset.index = String(index)
  el.dataset.date = bar.date
  const rows = [
    h(
      "div",
      { class: "lg-row" },
      h("span", { class: "lg-when", "data-key": "date" }, when),
      item("open", t("open"), bar.open, price(bar.open, l)),
      item("high", t("high"), bar.high, price(bar.high, l)),
      item("low", t("low"), bar.low, price(bar.low, l)),
      item("close", t("close"), bar.close, price(bar.close, l), direction(change)),
      item("change_pct", "", change, percent(change, l), direction(change)),
      item("volume", t("volume"), bar.volume, compact(bar.volume, l)),
      item("amount", t("amount"), bar.amount, compact(bar.amount, l))
    )
  ]
  if (indicators !== undefined) {
    const d = bar.date
    const v = (x: number | null | undefined, digits = 2) => price(x, l, digits)
    const ma = (key: "ma5" | "ma10" | "ma20", label: string) => item(key, label, indicators[key].get(d), v(indicators[key].get(d)), "", MA_COLOURS[key])
    const b = indicators.boll.get(d)
    const m = indicators.macd.get(d)
    const r = indicators.rsi.get(d)
    rows.push(
      h(
        "div",
        { class: "lg-row" },
        ma("ma5", "MA5"),
        ma("ma10", "MA10"),
        ma("ma20", "MA20"),
        ...(boll ? [item("boll_upper", "BOLL↑", b?.upper, v(b?.upper)), item("boll_middle", "BOLL", b?.middle, v(b?.middle)), item("boll_lower", "BOLL↓", b?.lower, v(b?.lower))] : [])
      ),
      h(
        "div",
        { class: "lg-row" },
        item("macd", "MACD DIF", m?.macd, v(m?.macd, 3)),
        item("macd_signal", "DEA", m?.signal, v(m?.signal, 3)),
        item("macd_histogram", "HIST", m?.histogram, v(m?.histogram, 3), direction(m?.histogram)),
        item("rsi", "RSI14", r, v(r))
      )
    )
  }
  fill(el, rows)
}
