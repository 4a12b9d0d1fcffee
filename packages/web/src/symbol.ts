import { ApiError, get, query } from "./api.ts"
import { makeChart } from "./chart.ts"
import { fill, h } from "./dom.ts"
import { downloadCsv, downloadXlsx } from "./export.ts"
import type { ExportData } from "./exportTable.ts"
import { localStamp } from "./format.ts"
import { t } from "./i18n.ts"
import { drawLegend } from "./legend.ts"
import { loadLineage } from "./lineage.ts"
import { liveQuotes } from "./live.ts"
import { replaceQuery, type View } from "./nav.ts"
import { colourClass, palette } from "./prefs.ts"
import { quoteHeader } from "./quoteHeader.ts"
import { recentBars } from "./recentBars.ts"
import { watchButton } from "./watchButton.ts"
import { type ChartState, parseState, rangeDays, stateQuery, toolbar } from "./toolbar.ts"
import {
  type BarSeries,
  type IndicatorSeries,
  type Indicators,
  type Instrument,
  isIntraday,
  marketOf,
  type Quote,
  timeZoneOf
} from "./types.ts"

const minusDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10)

const byDate = <A>(s: IndicatorSeries, f: (v: IndicatorSeries["points"][number]["values"]) => A) =>
  new Map(s.points.map((p) => [p.date, f(p.values)]))

const toIndicators = (ma5: IndicatorSeries, ma10: IndicatorSeries, ma20: IndicatorSeries, macd: IndicatorSeries, rsi: IndicatorSeries, boll: IndicatorSeries): Indicators => ({
  ma5: byDate(ma5, (v) => v.value ?? null),
  ma10: byDate(ma10, (v) => v.value ?? null),
  ma20: byDate(ma20, (v) => v.value ?? null),
  macd: byDate(macd, (v) => ({ macd: v.macd ?? null, signal: v.signal ?? null, histogram: v.histogram ?? null })),
  rsi: byDate(rsi, (v) => v.value ?? null),
  boll: byDate(boll, (v) => ({ upper: v.upper ?? null, middle: v.middle ?? null, lower: v.lower ?? null }))
})

const KEY_STEPS: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1, PageUp: -20, PageDown: 20 }

/** A symbol's page: quote header (live), the chart with its controls and legend, lineage, recent bars. */
export const symbolView = (main: HTMLElement, symbol: string, _navigate: (href: string) => void): View => {
  const market = marketOf(symbol)
  const tz = timeZoneOf(market)
  let state: ChartState = parseState(location.search)
  const header = quoteHeader(symbol, tz)
  const toolbarSlot = h("div", { class: "toolbar-slot" })
  const legend = h("div", { class: "legend", "aria-live": "polite", "aria-label": t("legend") })
  const chartEl = h("div", { class: "chart", id: "chart", tabindex: 0, role: "application", "aria-roledescription": "chart", "aria-label": t("chartLabel", { name: symbol }), "aria-describedby": "chart-legend" })
  legend.id = "chart-legend"
  const note = h("p", { class: "note", role: "status" })
  const lineage = h("section", { class: "card lineage", "aria-labelledby": "h-lineage" })
  const recent = h("section", { class: "card recent" })
  const root = h(
    "div",
    { class: `symbol-page ${colourClass(market)}`, "data-symbol": symbol, "data-ready": "false" },
    header.el,
    watchButton(symbol),
    toolbarSlot,
    h("div", { class: "chart-wrap card" }, legend, chartEl),
    note,
    h("div", { class: "below" }, lineage, recent)
  )
  main.append(root)
  const chart = makeChart(chartEl, palette(market))
  let anchor: string | undefined
  let series: BarSeries | undefined
  let indicators: Indicators | undefined
  let index = -1
  let seq = 0
  let stopLive: (() => void) | undefined

  const redrawLegend = () => {
    if (series !== undefined) drawLegend(legend, series.bars, index, state.interval, tz, indicators, state.boll && indicators !== undefined)
  }

  const exportData = (): ExportData | undefined =>
    series === undefined ? undefined : {
      symbol,
      name: header.name(),
      interval: series.interval,
      adjust: series.adjust,
      from: series.from,
      to: series.to,
      timeZone: tz,
      bars: series.bars,
      indicators,
      boll: state.boll
    }

  const drawToolbar = () =>
    fill(toolbarSlot, toolbar(state, onChange, {
      csv: () => {
        const d = exportData()
        if (d !== undefined) downloadCsv(d)
      },
      xlsx: () => {
        const d = exportData()
        if (d !== undefined) void downloadXlsx(d).catch((e: Error) => fill(note, t("loadFailed", { msg: e.message })))
      },
      print: () => window.print()
    }))

  const onChange = (next: ChartState) => {
    const onlyBoll = next.interval === state.interval && next.adjust === state.adjust && next.range === state.range &&
      next.from === state.from && next.to === state.to
    state = next
    replaceQuery(stateQuery(state))
    drawToolbar()
    if (onlyBoll) {
      chart.setBoll(state.boll && indicators !== undefined)
      redrawLegend()
    } else void loadBars()
  }

  const loadBars = async () => {
    if (anchor === undefined) return
    const my = ++seq
    root.dataset.ready = "false"
    chartEl.setAttribute("aria-busy", "true")
    const to = state.to ?? anchor
    const from = state.from ?? minusDays(to, rangeDays[state.range])
    const { interval, adjust } = state
    const enc = encodeURIComponent(symbol)
    const daily = !isIntraday(interval)
    const ind = (name: string, period?: number) =>
      get<IndicatorSeries>(`/v1/indicators/${enc}?${query({ name, period, interval, from, to, adjust })}`)
    try {
      const [bars, extra] = await Promise.all([
        get<BarSeries>(`/v1/bars/${enc}?${query({ interval, from, to, adjust })}`),
        daily ? Promise.all([ind("sma", 5), ind("sma", 10), ind("sma", 20), ind("macd"), ind("rsi"), ind("boll")]) : undefined
      ])
      if (my !== seq) return
      series = bars
      indicators = extra === undefined ? undefined : toIndicators(...extra)
      chart.set({ bars: bars.bars, interval, timeZone: tz, indicators }, state.boll)
      index = bars.bars.length - 1
      redrawLegend()
      fill(note, bars.bars.length === 0 ? t("noBars") : daily ? "" : t("indicatorsDailyOnly"))
      fill(recent, recentBars(bars.bars, interval, tz))
      const last = bars.bars.at(-1)
      // Lineage is kept for stored daily bars; intraday bars have none of their own.
      if (!daily) fill(lineage, h("h2", { id: "h-lineage" }, t("lineage")), h("p", { class: "muted" }, t("lineageDaily")))
      else if (last !== undefined) void loadLineage(lineage, symbol, last.date, tz, () => my === seq)
      performance.mark("marketgate:chart-ready")
    } catch (error) {
      if (my !== seq) return
      fill(note, t("loadFailed", { msg: (error as Error).message }))
    }
    chartEl.removeAttribute("aria-busy")
    root.dataset.ready = "true"
  }

  chart.onCrosshair((i) => {
    index = i ?? (series?.bars.length ?? 0) - 1
    redrawLegend()
  })
  chart.onClick((i) => {
    const bar = series?.bars[i]
    if (bar !== undefined && !isIntraday(state.interval)) void loadLineage(lineage, symbol, bar.date, tz, () => true)
  })
  chartEl.addEventListener("keydown", (e) => {
    const bars = series?.bars
    if (bars === undefined || bars.length === 0) return
    const step = KEY_STEPS[e.key]
    let next = index
    if (step !== undefined) next = Math.max(0, Math.min(bars.length - 1, (index < 0 ? bars.length - 1 : index) + step))
    else if (e.key === "Home") next = 0
    else if (e.key === "End") next = bars.length - 1
    else if (e.key === "Enter") {
      if (!isIntraday(state.interval)) void loadLineage(lineage, symbol, bars[index]!.date, tz, () => true)
      return
    } else if (e.key === "Escape") {
      chart.clearCrosshair()
      next = bars.length - 1
    } else return
    e.preventDefault()
    index = next
    if (e.key !== "Escape") chart.showBar(index, bars[index]!.close)
    redrawLegend()
  })
  chartEl.addEventListener("blur", () => chart.clearCrosshair())

  drawToolbar()
  const start = async () => {
    try {
      const [instrument, quotes] = await Promise.all([
        get<Instrument>(`/v1/instruments/${encodeURIComponent(symbol)}`),
        get<{ quotes: ReadonlyArray<Quote> }>(`/v1/quotes?symbols=${encodeURIComponent(symbol)}`)
      ])
      header.setInstrument(instrument)
      chartEl.setAttribute("aria-label", t("chartLabel", { name: instrument.name }))
      const quote = quotes.quotes[0]
      if (quote !== undefined) header.update(quote)
      // The server's clock, not the browser's, says which day the ranges end on.
      anchor = quote === undefined ? new Date().toISOString().slice(0, 10) : localStamp(quote.ts, tz).slice(0, 10)
      stopLive = liveQuotes([symbol], header.update, header.setLive)
      await loadBars()
    } catch (error) {
      fill(note, error instanceof ApiError ? error.message : t("loadFailed", { msg: (error as Error).message }))
      root.dataset.ready = "true"
    }
  }
  void start()

  return {
    dispose: () => {
      seq++
      stopLive?.()
      chart.dispose()
    }
  }
}
