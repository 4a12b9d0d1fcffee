import {
  CandlestickSeries,
  createChart,
  CrosshairMode,
  HistogramSeries,
  type IChartApi,
  type ISeriesApi,
  LineSeries,
  LineStyle,
  type Time,
  type UTCTimestamp
} from "/vendor/lightweight-charts.mjs"
import { compact, localStamp, price, zoneOffsetSeconds } from "./format.ts"
import { locale } from "./i18n.ts"
import type { Palette } from "./prefs.ts"
import type { Bar, Indicators, Interval } from "./types.ts"
import { isIntraday } from "./types.ts"

export interface ChartData {
  readonly bars: ReadonlyArray<Bar>
  readonly interval: Interval
  readonly timeZone: string
  readonly indicators: Indicators | undefined
}

export const MA_COLOURS = { ma5: "#b45309", ma10: "#7c3aed", ma20: "#0369a1" } as const
const BOLL_COLOUR = "#6b7280"
const MACD_COLOURS = { macd: "#0369a1", signal: "#b45309" }
const RSI_COLOUR = "#7c3aed"

/** The chart's time of a bar: its session date, or for intraday bars the exchange's wall-clock minute. */
export const barTime = (bar: Bar, interval: Interval, timeZone: string): Time => {
  if (!isIntraday(interval) || bar.ts === undefined) return bar.date
  const ms = Date.parse(bar.ts)
  return (ms / 1000 + zoneOffsetSeconds(ms, timeZone)) as UTCTimestamp
}

const timeLabel = (time: Time): string => {
  if (typeof time === "number") return localStamp(new Date(time * 1000).toISOString(), "UTC")
  if (typeof time === "string") return time
  return `${time.year}-${String(time.month).padStart(2, "0")}-${String(time.day).padStart(2, "0")}`
}

const line = (value: number | null | undefined, time: Time) => (value === null || value === undefined ? { time } : { time, value })

/**
 * Candles and volume, MA5/10/20 and optional BOLL on the price pane, MACD
 * and RSI panes below: one lightweight-charts chart with four panes.
 */
export const makeChart = (container: HTMLElement, colours: Palette) => {
  const chart: IChartApi = createChart(container, {
    autoSize: true,
    layout: {
      // The library's licence asks for its attribution; this option shows the TradingView logo link.
      attributionLogo: true,
      background: { color: "#ffffff" },
      textColor: "#3c4043",
      fontFamily: "inherit",
      panes: { separatorColor: "#dadce0", enableResize: true }
    },
    grid: { vertLines: { color: "#f1f3f4" }, horzLines: { color: "#f1f3f4" } },
    crosshair: { mode: CrosshairMode.Normal },
    rightPriceScale: { borderColor: "#dadce0" },
    timeScale: { borderColor: "#dadce0", rightOffset: 2 },
    localization: {
      locale: locale(),
      priceFormatter: (p: number) => price(p, locale()),
      timeFormatter: (time: Time) => timeLabel(time)
    }
  })
  const candles = chart.addSeries(CandlestickSeries, {
    upColor: colours.up,
    downColor: colours.down,
    borderUpColor: colours.up,
    borderDownColor: colours.down,
    wickUpColor: colours.up,
    wickDownColor: colours.down,
    priceLineVisible: false
  }, 0)
  const lineOptions = (color: string, extra: object = {}) => ({
    color,
    lineWidth: 1 as const,
    priceLineVisible: false,
    lastValueVisible: false,
    crosshairMarkerVisible: false,
    ...extra
  })
  const ma5 = chart.addSeries(LineSeries, lineOptions(MA_COLOURS.ma5), 0)
  const ma10 = chart.addSeries(LineSeries, lineOptions(MA_COLOURS.ma10), 0)
  const ma20 = chart.addSeries(LineSeries, lineOptions(MA_COLOURS.ma20), 0)
  const bollUpper = chart.addSeries(LineSeries, lineOptions(BOLL_COLOUR, { lineStyle: LineStyle.Dashed }), 0)
  const bollMiddle = chart.addSeries(LineSeries, lineOptions(BOLL_COLOUR), 0)
  const bollLower = chart.addSeries(LineSeries, lineOptions(BOLL_COLOUR, { lineStyle: LineStyle.Dashed }), 0)
  const volume = chart.addSeries(HistogramSeries, {
    priceFormat: { type: "custom", formatter: (v: number) => compact(v, locale()), minMove: 1 },
    priceLineVisible: false,
    lastValueVisible: false
  }, 1)
  const macdHist = chart.addSeries(HistogramSeries, { priceLineVisible: false, lastValueVisible: false }, 2)
  const macdLine = chart.addSeries(LineSeries, lineOptions(MACD_COLOURS.macd), 2)
  const signalLine = chart.addSeries(LineSeries, lineOptions(MACD_COLOURS.signal), 2)
  const rsiLine = chart.addSeries(LineSeries, lineOptions(RSI_COLOUR, { lastValueVisible: true }), 3)
  rsiLine.createPriceLine({ price: 70, color: "#9aa0a6", lineWidth: 1, lineStyle: LineStyle.Dotted, axisLabelVisible: false, title: "" })
  rsiLine.createPriceLine({ price: 30, color: "#9aa0a6", lineWidth: 1, lineStyle: LineStyle.Dotted, axisLabelVisible: false, title: "" })
  const panes = chart.panes()
  const stretch = [3, 1, 1, 1]
  panes.forEach((pane, i) => pane.setStretchFactor(stretch[i] ?? 1))

  const bollSeries: ReadonlyArray<ISeriesApi<"Line">> = [bollUpper, bollMiddle, bollLower]
  const indicatorSeries: ReadonlyArray<ISeriesApi<"Line" | "Histogram">> = [ma5, ma10, ma20, macdHist, macdLine, signalLine, rsiLine, ...bollSeries]
  let times: Array<Time> = []

  const set = (data: ChartData, showBoll: boolean) => {
    const { bars, interval, timeZone } = data
    times = bars.map((b) => barTime(b, interval, timeZone))
    candles.setData(bars.map((b, i) => ({ time: times[i]!, open: b.open, high: b.high, low: b.low, close: b.close })))
    volume.setData(bars.map((b, i) => ({
      time: times[i]!,
      value: b.volume,
      color: `${b.close >= b.open ? colours.up : colours.down}99`
    })))
    const ind = data.indicators
    if (ind === undefined) {
      for (const s of indicatorSeries) s.setData([])
    } else {
      const at = <A>(map: ReadonlyMap<string, A>, f: (a: A) => number | null) =>
        bars.flatMap((b, i) => {
          const v = map.get(b.date)
          return v === undefined ? [] : [line(f(v), times[i]!)]
        })
      ma5.setData(at(ind.ma5, (v) => v))
      ma10.setData(at(ind.ma10, (v) => v))
      ma20.setData(at(ind.ma20, (v) => v))
      bollUpper.setData(at(ind.boll, (v) => v.upper))
      bollMiddle.setData(at(ind.boll, (v) => v.middle))
      bollLower.setData(at(ind.boll, (v) => v.lower))
      macdLine.setData(at(ind.macd, (v) => v.macd))
      signalLine.setData(at(ind.macd, (v) => v.signal))
      macdHist.setData(bars.flatMap((b, i) => {
        const h = ind.macd.get(b.date)?.histogram
        return h === null || h === undefined ? [] : [{ time: times[i]!, value: h, color: h >= 0 ? colours.up : colours.down }]
      }))
      rsiLine.setData(at(ind.rsi, (v) => v))
    }
    setBoll(showBoll && ind !== undefined)
    // Indicator panes are kept (empty) for intraday bars, so the layout does not jump between intervals.
    chart.timeScale().fitContent()
    container.dataset.candles = String(candles.data().length)
    container.dataset.first = bars[0]?.date ?? ""
    container.dataset.last = bars.at(-1)?.date ?? ""
  }

  const setBoll = (visible: boolean) => {
    for (const s of bollSeries) s.applyOptions({ visible })
    container.dataset.boll = String(visible)
  }

  /** The bar under the crosshair (by index), or undefined when it is off the chart. */
  const onCrosshair = (f: (index: number | undefined) => void) =>
    chart.subscribeCrosshairMove((param) => {
      const logical = param.logical
      f(param.time === undefined || logical === undefined ? undefined : Math.max(0, Math.min(times.length - 1, Math.round(logical))))
    })

  /** Puts the crosshair on bar `index` (keyboard), scrolling it into view. */
  const showBar = (index: number, close: number) => {
    const time = times[index]
    if (time === undefined) return
    const range = chart.timeScale().getVisibleLogicalRange()
    if (range !== null && (index < range.from || index > range.to)) {
      const width = range.to - range.from
      const from = Math.max(0, Math.min(index - width / 2, times.length - width))
      chart.timeScale().setVisibleLogicalRange({ from, to: from + width })
    }
    chart.setCrosshairPosition(close, time, candles)
  }

  const onClick = (f: (index: number) => void) =>
    chart.subscribeClick((param) => {
      if (param.logical !== undefined && param.time !== undefined) f(Math.max(0, Math.min(times.length - 1, Math.round(param.logical))))
    })

  return {
    chart,
    set,
    setBoll,
    onCrosshair,
    onClick,
    showBar,
    clearCrosshair: () => chart.clearCrosshairPosition(),
    dispose: () => chart.remove()
  }
}

export type Chart = ReturnType<typeof makeChart>
