/**
 * Simple and exponential moving averages. Positions without enough history
 * are `null`, so every output lines up with its input.
 */
export type Series = ReadonlyArray<number>
export type IndicatorValues = Array<number | null>

export const sma = (values: Series, period: number): IndicatorValues => {
  const out: IndicatorValues = new Array(values.length).fill(null)
  let sum = 0
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!
    if (i >= period) sum -= values[i - period]!
    if (i >= period - 1) out[i] = sum / period
  }
  return out
}

/**
 * EMA with smoothing 2/(period+1), seeded with the SMA of the first `period`
 * values (as TA-Lib does), so the first value appears at index period-1.
 */
export const ema = (values: Series, period: number): IndicatorValues => {
  const out: IndicatorValues = new Array(values.length).fill(null)
  if (values.length < period) return out
  const alpha = 2 / (period + 1)
  let prev = 0
  for (let i = 0; i < period; i++) prev += values[i]!
  prev /= period
  out[period - 1] = prev
  for (let i = period; i < values.length; i++) {
    prev = alpha * values[i]! + (1 - alpha) * prev
    out[i] = prev
  }
  return out
}
