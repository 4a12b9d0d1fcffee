import { Schema } from "effect"
import { Quote } from "./Quote.ts"
import { Market } from "./Symbol.ts"

/** Where a market stands now, from its exchange calendar. */
export const MarketStatus = Schema.Literals(["pre_open", "open", "lunch_break", "closed", "holiday"]).annotate({
  description: "closed: after the close, or a weekend; holiday: a weekday the exchange does not trade"
})
export type MarketStatus = typeof MarketStatus.Type

export const Breadth = Schema.Struct({
  advancers: Schema.Int,
  decliners: Schema.Int,
  unchanged: Schema.Int.annotate({ description: "traded at the previous close" }),
  suspended: Schema.Int.annotate({ description: "no trade this session" }),
  limit_up: Schema.Int.annotate({ description: "at the daily limit-up price (CN; 0 for US)" }),
  limit_down: Schema.Int.annotate({ description: "at the daily limit-down price (CN; 0 for US)" }),
  total: Schema.Int.annotate({ description: "instruments in the snapshot (stocks and ETFs; indices excluded)" })
}).annotate({ identifier: "Breadth" })
export type Breadth = typeof Breadth.Type

export const SnapshotInfo = Schema.Struct({
  source: Schema.String.annotate({ description: "the provider whose full-market snapshot this is" }),
  instruments: Schema.Int.annotate({ description: "quotes the figures are computed from" }),
  expected: Schema.Int.annotate({ description: "listings the provider said the market has; more than instruments when its answer was cut short" })
}).annotate({ identifier: "SnapshotInfo" })

export const MarketOverview = Schema.Struct({
  market: Market,
  as_of: Schema.String.annotate({ description: "when these figures were computed, ISO-8601 UTC" }),
  status: MarketStatus,
  indices: Schema.Array(Quote),
  breadth: Schema.NullOr(Breadth).annotate({ description: "null when no configured provider offers a full-market snapshot" }),
  turnover: Schema.NullOr(Schema.Finite).annotate({ description: "sum of the snapshot's amounts, in the market's currency" }),
  top_gainers: Schema.Array(Quote),
  top_losers: Schema.Array(Quote),
  most_active: Schema.Array(Quote).annotate({ description: "by amount (turnover)" }),
  snapshot: Schema.NullOr(SnapshotInfo)
}).annotate({ identifier: "MarketOverview" })
export type MarketOverview = typeof MarketOverview.Type
