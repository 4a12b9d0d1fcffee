import { fill, h } from "./dom.ts"
import { compact, dateTime, direction, percent, price, signed } from "./format.ts"
import { type Key, locale, t } from "./i18n.ts"
import type { LiveState } from "./live.ts"
import type { Instrument, Quote } from "./types.ts"

const stat = (key: string, label: string, value: number, text: string) =>
  h("div", { class: "stat" }, h("dt", {}, label), h("dd", { "data-field": key, "data-value": value }, text))

/** The quote at the top of a symbol page; `update` redraws it when a live quote arrives. */
export const quoteHeader = (symbol: string, timeZone: string) => {
  const title = h("h1", { tabindex: -1 }, symbol)
  const price_ = h("div", { class: "quote-price" })
  const stats = h("dl", { class: "quote-stats" })
  const live = h("span", { class: "live", "data-live": "off", role: "status" }, t("liveOff"))
  const el = h("section", { class: "quote-header", "aria-labelledby": "quote-title" }, title, price_, stats, live)
  title.id = "quote-title"
  let name = symbol

  const setInstrument = (i: Instrument) => {
    name = i.name
    fill(title, h("span", { class: "q-name" }, i.name), " ", h("span", { class: "q-code" }, i.symbol))
    document.title = `${i.name} ${i.symbol} · marketgate`
  }

  const update = (q: Quote) => {
    const l = locale()
    const dir = direction(q.change)
    el.dataset.ts = q.ts
    fill(
      price_,
      h("span", { class: `big ${dir}`, "data-field": "price", "data-value": q.price }, price(q.price, l)),
      h("span", { class: dir, "data-field": "change", "data-value": q.change }, signed(q.change, l)),
      h("span", { class: dir, "data-field": "change_pct", "data-value": q.change_pct }, percent(q.change_pct, l)),
      h("span", { class: `status status-${q.status}`, "data-status": q.status }, t(`st_${q.status}` as Key)),
      h("time", { datetime: q.ts, class: "muted" }, dateTime(q.ts, l, timeZone))
    )
    fill(
      stats,
      stat("open", t("open"), q.open, price(q.open, l)),
      stat("high", t("high"), q.high, price(q.high, l)),
      stat("low", t("low"), q.low, price(q.low, l)),
      stat("prev_close", t("prevClose"), q.prev_close, price(q.prev_close, l)),
      stat("volume", t("volume"), q.volume, compact(q.volume, l)),
      stat("amount", t("amount"), q.amount, compact(q.amount, l))
    )
  }

  const setLive = (state: LiveState) => {
    live.dataset.live = state
    live.textContent = state === "live" ? t("live") : state === "reconnecting" ? t("reconnecting") : t("liveOff")
  }

  return { el, setInstrument, update, setLive, name: () => name }
}
