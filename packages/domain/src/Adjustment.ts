import type { Bar, DailyBar } from "./Bar.ts"
import type { Adjust } from "./Interval.ts"

const round4 = (x: number) => Math.round(x * 10_000) / 10_000

/** A split (or A-share bonus issue) from its ex-date: `ratio` new shares per old share (4 for 4:1). */
export interface SplitEvent {
  readonly exDate: string
  readonly ratio: number
}

/**
 * Serve stored (unadjusted) daily bars with the requested adjustment.
 * Prices: hfq multiplies by the cumulative factor (splits and dividends); qfq
 * divides that by the latest factor, so today's prices are unchanged and the
 * past is scaled to them. Volume follows the splits only, as Yahoo does: qfq
 * counts earlier sessions in today's shares (× 4 before a 4:1 split), hfq
 * counts later ones in the first day's shares; a dividend changes no share
 * count. Amount (turnover in money) is what was traded and never changes.
 */
export const adjustDailyBars = (
  bars: ReadonlyArray<DailyBar>,
  adjust: Adjust,
  latestFactor: number,
  splits: ReadonlyArray<SplitEvent> = []
): Array<Bar> => {
  const splitAt = (date: string) => splits.reduce((f, s) => (s.exDate <= date ? f * s.ratio : f), 1)
  const allSplits = splits.reduce((f, s) => f * s.ratio, 1)
  return bars.map((b) => {
    const scale = adjust === "none" ? 1 : adjust === "hfq" ? b.adjFactor : b.adjFactor / latestFactor
    const price = scale === 1 ? (x: number) => x : (x: number) => round4(x * scale)
    const shares = adjust === "none" || splits.length === 0 ? 1 : adjust === "hfq" ? 1 / splitAt(b.date) : allSplits / splitAt(b.date)
    return {
      date: b.date,
      open: price(b.open),
      high: price(b.high),
      low: price(b.low),
      close: price(b.close),
      volume: shares === 1 ? b.volume : Math.round(b.volume * shares),
      amount: b.amount,
      suspended: b.suspended
    }
  })
}
