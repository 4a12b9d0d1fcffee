import { Schema } from "effect"
import { Market, Symbol } from "./Symbol.ts"

/** A person keeps at most this many symbols: one GET /v1/quotes (and one quote stream) covers them all. */
export const MAX_WATCHLIST = 100

export const WatchlistItem = Schema.Struct({
  symbol: Schema.String,
  name: Schema.String,
  market: Market,
  added_at: Schema.String.annotate({ description: "when the symbol joined the list (ISO-8601 UTC)" })
}).annotate({ identifier: "WatchlistItem" })
export type WatchlistItem = typeof WatchlistItem.Type

/** The signed-in person's watchlist, in their order. */
export const Watchlist = Schema.Struct({
  items: Schema.Array(WatchlistItem),
  max: Schema.Int.annotate({ description: `at most ${MAX_WATCHLIST} symbols` })
}).annotate({ identifier: "Watchlist" })
export type Watchlist = typeof Watchlist.Type

/** PUT /v1/watchlist: the whole list, in the order to keep. */
export const WatchlistReplace = Schema.Struct({
  symbols: Schema.Array(Symbol).check(
    Schema.makeFilter((xs: ReadonlyArray<string>) =>
      xs.length <= MAX_WATCHLIST || `symbols must list at most ${MAX_WATCHLIST} symbols, got ${xs.length}`
    ),
    Schema.makeFilter((xs: ReadonlyArray<string>) => {
      const twice = xs.find((s, i) => xs.indexOf(s) !== i)
      return twice === undefined || `symbols lists ${twice} twice; list each symbol once`
    })
  )
}).annotate({ identifier: "WatchlistReplace" })
