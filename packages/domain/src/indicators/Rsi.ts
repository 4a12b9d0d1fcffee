import type { IndicatorValues, Series } from "./MovingAverage.ts"

/**
 * Relative Strength Index with Wilder's smoothing: the first average gain/loss
 * is the mean of the first `period` changes, then
 * avg = (prev × (period − 1) + current) / period. First value at index `period`.
 */
export const rsi = (values: Series, period = 14): IndicatorValues => {
  const out: IndicatorValues = new Array(values.length).fill(null)
  if (values.length <= period) return out
  let gain = 0
  let loss = 0
  for (let i = 1; i <= period; i++) {
    const change = values[i]! - values[i - 1]!
    if (change > 0) gain += change
    else loss -= change
  }
  gain /= period
  loss /= period
  const value = () => (loss === 0 ? (gain === 0 ? 50 : 100) : 100 - 100 / (1 + gain / loss))
  out[period] = value()
  for (let i = period + 1; i < values.length; i++) {
    const change = values[i]! - values[i - 1]!
    gain = (gain * (period - 1) + Math.max(change, 0)) / period
    loss = (loss * (period - 1) + Math.max(-change, 0)) / period
    out[i] = value()
  }
  return out
}
