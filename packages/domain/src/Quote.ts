import { Schema } from "effect"
import { Symbol } from "./Symbol.ts"

export const TradingStatus = Schema.Literals(["pre_open", "open", "lunch_break", "closed", "suspended"])
export type TradingStatus = typeof TradingStatus.Type

/** The latest price of one instrument, with the session's running figures. */
export const Quote = Schema.Struct({
  symbol: Symbol,
  name: Schema.String,
  price: Schema.Finite,
  open: Schema.Finite,
  high: Schema.Finite,
  low: Schema.Finite,
  prev_close: Schema.Finite,
  change: Schema.Finite,
  change_pct: Schema.Finite.annotate({ description: "percent, e.g. 1.25 for +1.25 %" }),
  volume: Schema.Finite,
  amount: Schema.Finite,
  status: TradingStatus,
  ts: Schema.String.annotate({ description: "instant of the price, ISO-8601 UTC" })
}).annotate({ identifier: "Quote" })
export type Quote = typeof Quote.Type

/** Why a requested symbol has no quote in an answer. */
export const MissingReason = Schema.Literals(["not_found", "unavailable"]).annotate({
  description: "not_found: no provider has a quote for it (asking again will not help); unavailable: the providers that could answer failed (try again shortly)"
})
export type MissingReason = typeof MissingReason.Type

export const MissingQuote = Schema.Struct({
  symbol: Symbol,
  reason: MissingReason,
  msg: Schema.String
}).annotate({ identifier: "MissingQuote" })
export type MissingQuote = typeof MissingQuote.Type

export const QuoteList = Schema.Struct({
  quotes: Schema.Array(Quote),
  missing: Schema.Array(MissingQuote).annotate({ description: "requested symbols without a quote, each with its reason" })
}).annotate({ identifier: "QuoteList" })
