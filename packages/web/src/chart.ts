import {
  CandlestickSeries,
  createChart,
  CrosshairMode,
  HistogramSeries,
  type IChartApi,
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
    priceLineVisible: false,
    priceFormat: { type: "custom", formatter: (p: number) => price(p, locale()), minMove: 0.01 }
  }, 0)
  const lineOptions = (color: string, extra: object = {}) => ({
    color,
    lineWidth: 1 as const,
    priceLineVisible: false,
    lastValueVisible: false,
    crosshairMarkerVisible: false,
    ...extra
  })
  const volume = chart.addSeries(HistogramSeries, {
    priceFormat: { type: "custom", formatter: (v: number) => compact(v, locale()), minMove: 1 },
    priceLineVisible: false,
    lastValueVisible: false
  }, 1)

  /** The indicator series exist only while there are indicators (daily and longer bars): without them their panes go. */
  const makeIndicatorSeries = () => {
    const s = {
      ma5: chart.addSeries(LineSeries, lineOptions(MA_COLOURS.ma5), 0),
      ma10: chart.addSeries(LineSeries, lineOptions(MA_COLOURS.ma10), 0),
      ma20: chart.addSeries(LineSeries, lineOptions(MA_COLOURS.ma20), 0),
      bollUpper: chart.addSeries(LineSeries, lineOptions(BOLL_COLOUR, { lineStyle: LineStyle.Dashed }), 0),
      bollMiddle: chart.addSeries(LineSeries, lineOptions(BOLL_COLOUR), 0),
      bollLower: chart.addSeries(LineSeries, lineOptions(BOLL_COLOUR, { lineStyle: LineStyle.Dashed }), 0),
      macdHist: chart.addSeries(HistogramSeries, { priceLineVisible: false, lastValueVisible: false }, 2),
      macdLine: chart.addSeries(LineSeries, lineOptions(MACD_COLOURS.macd), 2),
      signalLine: chart.addSeries(LineSeries, lineOptions(MACD_COLOURS.signal), 2),
      rsiLine: chart.addSeries(LineSeries, lineOptions(RSI_COLOUR, { lastValueVisible: true }), 3)
    }
    s.rsiLine.createPriceLine({ price: 70, color: "#9aa0a6", lineWidth: 1, lineStyle: LineStyle.Dotted, axisLabelVisible: false, title: "" })
    s.rsiLine.createPriceLine({ price: 30, color: "#9aa0a6", lineWidth: 1, lineStyle: LineStyle.Dotted, axisLabelVisible: false, title: "" })
    return s
  }
  let ind_: ReturnType<typeof makeIndicatorSeries> | undefined
  const layoutPanes = () => {
    const stretch = [3, 1, 1, 1]
    chart.panes().forEach((pane, i) => pane.setStretchFactor(stretch[i] ?? 1))
  }
  layoutPanes()
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
      if (ind_ !== undefined) {
        for (const series of Object.values(ind_)) chart.removeSeries(series)
        ind_ = undefined
      }
    } else {
      const x = (ind_ ??= makeIndicatorSeries())
      const at = <A>(map: ReadonlyMap<string, A>, f: (a: A) => number | null) =>
        bars.flatMap((b, i) => {
          const v = map.get(b.date)
          return v === undefined ? [] : [line(f(v), times[i]!)]
        })
      x.ma5.setData(at(ind.ma5, (v) => v))
      x.ma10.setData(at(ind.ma10, (v) => v))
      x.ma20.setData(at(ind.ma20, (v) => v))
      x.bollUpper.setData(at(ind.boll, (v) => v.upper))
      x.bollMiddle.setData(at(ind.boll, (v) => v.middle))
      x.bollLower.setData(at(ind.boll, (v) => v.lower))
      x.macdLine.setData(at(ind.macd, (v) => v.macd))
      x.signalLine.setData(at(ind.macd, (v) => v.signal))
      x.macdHist.setData(bars.flatMap((b, i) => {
        const h = ind.macd.get(b.date)?.histogram
        return h === null || h === undefined ? [] : [{ time: times[i]!, value: h, color: h >= 0 ? colours.up : colours.down }]
      }))
      x.rsiLine.setData(at(ind.rsi, (v) => v))
    }
    layoutPanes()
    setBoll(showBoll && ind !== undefined)
    chart.timeScale().fitContent()
    container.dataset.candles = String(candles.data().length)
    container.dataset.first = bars[0]?.date ?? ""
    container.dataset.last = bars.at(-1)?.date ?? ""
  }

  const setBoll = (visible: boolean) => {
    if (ind_ !== undefined) for (const s of [ind_.bollUpper, ind_.bollMiddle, ind_.bollLower]) s.applyOptions({ visible })
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
