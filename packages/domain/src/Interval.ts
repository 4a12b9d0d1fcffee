import { Schema } from "effect"

export const Interval = Schema.Literals(["1m", "5m", "15m", "30m", "60m", "1d", "1w", "1M"]).annotate({
  description: "bar interval: 1m 5m 15m 30m 60m (intraday), 1d, 1w, 1M"
})
export type Interval = typeof Interval.Type

export type IntradayInterval = "1m" | "5m" | "15m" | "30m" | "60m"
export type PeriodInterval = "1d" | "1w" | "1M"

export const isIntraday = (i: Interval): i is IntradayInterval => i.endsWith("m")

export const minutesOf = (i: IntradayInterval): number => Number(i.slice(0, -1))

/** Price adjustment for corporate actions: none, forward (qfq) or backward (hfq). */
export const Adjust = Schema.Literals(["none", "qfq", "hfq"]).annotate({
  description: "none: as traded; qfq: forward-adjusted to today's price level; hfq: backward-adjusted from listing"
})
export type Adjust = typeof Adjust.Type
