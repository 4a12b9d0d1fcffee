import type { IndicatorName } from "../Indicator.ts"
import { bollinger } from "./Bollinger.ts"
import { macd } from "./Macd.ts"
import { ema, type Series, sma } from "./MovingAverage.ts"
import { rsi } from "./Rsi.ts"

export type IndicatorRow = Record<string, number | null>

export interface IndicatorParams {
  readonly period: number
}

/** The parameters actually used, as reported back to the caller. */
export const effectiveParams = (name: IndicatorName, period: number): Record<string, number> => {
  switch (name) {
    case "macd":
      return { fast: 12, slow: 26, signal: 9 }
    case "boll":
      return { period, k: 2 }
    default:
      return { period }
  }
}

/**
 * Bars of history needed before the first requested date so the values do not
 * depend on where the series starts: recursive (EMA-type) indicators forget
 * their seed geometrically. EMA keeps (1 − 2/(p+1))^n of it, about e^−20 after
 * 10·p bars; Wilder's RSI smooths by 1/p, so keeps (1 − 1/p)^n and needs 20·p
 * bars for the same (10·p would leave e^−10 ≈ 5e-5).
 */
export const warmupBars = (name: IndicatorName, period: number): number => {
  switch (name) {
    case "sma":
    case "boll":
      return period - 1
    case "ema":
      return Math.max(10 * period, 250)
    case "rsi":
      return Math.max(20 * period, 250)
    case "macd":
      return 300
  }
}

export const computeIndicator = (name: IndicatorName, closes: Series, period: number): Array<IndicatorRow> => {
  switch (name) {
    case "sma":
      return sma(closes, period).map((value) => ({ value }))
    case "ema":
      return ema(closes, period).map((value) => ({ value }))
    case "rsi":
      return rsi(closes, period).map((value) => ({ value }))
    case "macd": {
      const m = macd(closes, 12, 26, 9)
      return m.macd.map((value, i) => ({ macd: value, signal: m.signal[i] ?? null, histogram: m.histogram[i] ?? null }))
    }
    case "boll": {
      const b = bollinger(closes, period, 2)
      return b.middle.map((middle, i) => ({ upper: b.upper[i] ?? null, middle, lower: b.lower[i] ?? null }))
    }
  }
}
