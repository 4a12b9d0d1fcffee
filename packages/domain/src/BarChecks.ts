import type { Ohlcv } from "./Bar.ts"

/**
 * Invariants every stored bar satisfies; a bar that breaks one is never stored
 * or served. Why a bar is impossible, or undefined when it is consistent.
 */
export const ohlcViolation = (bar: Pick<Ohlcv, "open" | "high" | "low" | "close" | "volume">): string | undefined => {
  const { close, high, low, open, volume } = bar
  if (![open, high, low, close, volume].every(Number.isFinite)) return "a price or the volume is not a finite number"
  if (open <= 0 || high <= 0 || low <= 0 || close <= 0) return "a price is not positive"
  if (low > open || low > close) return "low is above open or close"
  if (high < open || high < close) return "high is below open or close"
  if (volume < 0) return "volume is negative"
  return undefined
}
