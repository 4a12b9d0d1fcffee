import { Schema } from "effect"
import { DateString } from "./CalendarDate.ts"
import { Adjust, Interval } from "./Interval.ts"
import { Symbol } from "./Symbol.ts"

/**
 * One K-line. `date` is the session (for 1w/1M the period's last session);
 * intraday bars also carry `ts`, the bar's opening instant in UTC.
 * Volume is in shares; amount in the instrument's currency.
 */
export const Bar = Schema.Struct({
  date: DateString,
  ts: Schema.optionalKey(Schema.String.annotate({ description: "intraday bars: opening instant, ISO-8601 UTC" })),
  open: Schema.Finite,
  high: Schema.Finite,
  low: Schema.Finite,
  close: Schema.Finite,
  volume: Schema.Finite,
  amount: Schema.Finite,
  suspended: Schema.Boolean.annotate({
    description: "true when the instrument did not trade that session; prices repeat the previous close"
  })
}).annotate({ identifier: "Bar" })
export type Bar = typeof Bar.Type

export const BarSeries = Schema.Struct({
  symbol: Symbol,
  interval: Interval,
  adjust: Adjust,
  from: DateString,
  to: DateString,
  bars: Schema.Array(Bar)
}).annotate({ identifier: "BarSeries" })
export type BarSeries = typeof BarSeries.Type

/** Prices, volume (shares) and amount (turnover) of one bar. */
export interface Ohlcv {
  readonly open: number
  readonly high: number
  readonly low: number
  readonly close: number
  readonly volume: number
  readonly amount: number
}

/** A daily bar as stored: unadjusted prices plus the cumulative adjustment factor. */
export interface DailyBar extends Ohlcv {
  readonly date: string
  readonly adjFactor: number
  readonly suspended: boolean
}
