import { ema, type IndicatorValues, type Series } from "./MovingAverage.ts"

export interface MacdSeries {
  readonly macd: IndicatorValues
  readonly signal: IndicatorValues
  readonly histogram: IndicatorValues
}

/**
 * MACD line = EMA(fast) − EMA(slow); signal = EMA(signal) of the MACD line;
 * histogram = MACD − signal (the A-share "MACD bar" is twice this).
 */
export const macd = (values: Series, fast = 12, slow = 26, signalPeriod = 9): MacdSeries => {
  const fastEma = ema(values, fast)
  const slowEma = ema(values, slow)
  const line: IndicatorValues = values.map((_, i) => {
    const f = fastEma[i]
    const s = slowEma[i]
    return f === null || f === undefined || s === null || s === undefined ? null : f - s
  })
  const start = line.findIndex((v) => v !== null)
  const signal: IndicatorValues = new Array(values.length).fill(null)
  if (start >= 0) {
    const tail = ema(line.slice(start) as Array<number>, signalPeriod)
    for (let i = 0; i < tail.length; i++) signal[start + i] = tail[i] ?? null
  }
  const histogram: IndicatorValues = line.map((m, i) => {
    const s = signal[i]
    return m === null || s === null || s === undefined ? null : m - s
  })
  return { macd: line, signal, histogram }
}
