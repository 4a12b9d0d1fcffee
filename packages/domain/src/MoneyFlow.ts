import { Schema } from "effect"
import { Market, Symbol } from "./Symbol.ts"

/**
 * Money flow (资金流向): a session's net buying by order size, as Eastmoney
 * reports it. Net = buy amount − sell amount of the orders of that size, in
 * CNY; main force (主力) = super-large (超大单) + large (大单). Each share is the
 * net as a percent of the session's amount.
 */
export const MoneyFlowEntry = Schema.Struct({
  symbol: Symbol,
  name: Schema.String,
  price: Schema.NullOr(Schema.Finite).annotate({ description: "latest price; null when not traded yet" }),
  change_pct: Schema.NullOr(Schema.Finite).annotate({ description: "percent, e.g. 1.25 for +1.25 %" }),
  main_net: Schema.Finite.annotate({ description: "main-force (super-large + large orders) net inflow, CNY; negative is an outflow" }),
  main_net_pct: Schema.NullOr(Schema.Finite).annotate({ description: "main_net as a percent of the session's amount" }),
  super_large_net: Schema.NullOr(Schema.Finite).annotate({ description: "super-large orders (超大单) net inflow, CNY" }),
  super_large_pct: Schema.NullOr(Schema.Finite),
  large_net: Schema.NullOr(Schema.Finite).annotate({ description: "large orders (大单) net inflow, CNY" }),
  large_pct: Schema.NullOr(Schema.Finite),
  medium_net: Schema.NullOr(Schema.Finite).annotate({ description: "medium orders (中单) net inflow, CNY" }),
  medium_pct: Schema.NullOr(Schema.Finite),
  small_net: Schema.NullOr(Schema.Finite).annotate({ description: "small orders (小单) net inflow, CNY" }),
  small_pct: Schema.NullOr(Schema.Finite),
  ts: Schema.NullOr(Schema.String).annotate({ description: "instant of the figures, ISO-8601 UTC" })
}).annotate({ identifier: "MoneyFlowEntry" })
export type MoneyFlowEntry = typeof MoneyFlowEntry.Type

/** The largest main-force net inflows of a market, largest first. */
export const MoneyFlowRanking = Schema.Struct({
  market: Market,
  as_of: Schema.String.annotate({ description: "when the ranking was fetched, ISO-8601 UTC" }),
  source: Schema.String.annotate({ description: "the provider that ranked it" }),
  ranked: Schema.Int.annotate({ description: "listings the provider ranked (the whole market), of which the top are listed" }),
  entries: Schema.Array(MoneyFlowEntry).annotate({ description: "by main_net, largest inflow first" })
}).annotate({ identifier: "MoneyFlowRanking" })
export type MoneyFlowRanking = typeof MoneyFlowRanking.Type
