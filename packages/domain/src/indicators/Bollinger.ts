import { type IndicatorValues, type Series, sma } from "./MovingAverage.ts"

export interface BollingerSeries {
  readonly upper: IndicatorValues
  readonly middle: IndicatorValues
  readonly lower: IndicatorValues
}

/** Bollinger bands: SMA(period) ± k × population standard deviation over the same window. */
export const bollinger = (values: Series, period = 20, k = 2): BollingerSeries => {
  const middle = sma(values, period)
  const upper: IndicatorValues = new Array(values.length).fill(null)
  const lower: IndicatorValues = new Array(values.length).fill(null)
  for (let i = period - 1; i < values.length; i++) {
    const mean = middle[i]!
    let sq = 0
    for (let j = i - period + 1; j <= i; j++) sq += (values[j]! - mean) ** 2
    const sd = Math.sqrt(sq / period)
    upper[i] = mean + k * sd
    lower[i] = mean - k * sd
  }
  return { upper, middle, lower }
}
