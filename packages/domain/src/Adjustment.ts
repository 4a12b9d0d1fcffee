import type { Bar, DailyBar } from "./Bar.ts"
import type { Adjust } from "./Interval.ts"

const round4 = (x: number) => Math.round(x * 10_000) / 10_000

/**
 * Serve stored (unadjusted) daily bars with the requested adjustment.
 * hfq multiplies by the cumulative factor; qfq divides that by the latest
 * factor so today's prices are unchanged and the past is scaled to them.
 * Volume stays as traded.
 */
export const adjustDailyBars = (bars: ReadonlyArray<DailyBar>, adjust: Adjust, latestFactor: number): Array<Bar> =>
  bars.map((b) => {
    const scale = adjust === "none" ? 1 : adjust === "hfq" ? b.adjFactor : b.adjFactor / latestFactor
    const price = scale === 1 ? (x: number) => x : (x: number) => round4(x * scale)
    return {
      date: b.date,
      open: price(b.open),
      high: price(b.high),
      low: price(b.low),
      close: price(b.close),
      volume: b.volume,
      amount: b.amount,
      suspended: b.suspended
    }
  })
