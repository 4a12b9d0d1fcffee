import { Schema } from "effect"
import { DateString } from "./CalendarDate.ts"
import { Exchange, makeSymbol, Market, marketOf, Symbol } from "./Symbol.ts"

/**
 * Listing segment. For A-shares it sets the daily price limit (±10 % main and
 * ETFs, ±20 % ChiNext/STAR); for US listings it is the listing exchange.
 */
export const Board = Schema.Literals([
  "main",
  "chinext",
  "star",
  "etf",
  "index",
  "nyse",
  "nasdaq",
  "nyse_american",
  "nyse_arca",
  "cboe",
  "iex"
])
export type Board = typeof Board.Type

/** What is traded: a share, an exchange-traded fund, or an index (quoted, not traded). */
export const InstrumentKind = Schema.Literals(["stock", "etf", "index"])
export type InstrumentKind = typeof InstrumentKind.Type

export const Currency = Schema.Literals(["CNY", "USD"])

export const Instrument = Schema.Struct({
  symbol: Symbol,
  code: Schema.String,
  exchange: Exchange,
  market: Market,
  name: Schema.String,
  kind: InstrumentKind,
  board: Board,
  currency: Currency,
  lot_size: Schema.Int.annotate({ description: "shares per board lot (100 for A-shares, 1 for US listings and indices)" }),
  listed_date: Schema.NullOr(DateString).annotate({
    description: "first trading day; null when no listing source states it (e.g. the Nasdaq symbol directory)"
  }),
  delisted_date: Schema.NullOr(DateString).annotate({ description: "the day the listing disappeared from its listing source" })
}).annotate({ identifier: "Instrument" })
export type Instrument = typeof Instrument.Type

export const InstrumentPage = Schema.Struct({
  total: Schema.Int.annotate({ description: "instruments matching the filter" }),
  limit: Schema.Int,
  offset: Schema.Int,
  instruments: Schema.Array(Instrument)
}).annotate({ identifier: "InstrumentPage" })
export type InstrumentPage = typeof InstrumentPage.Type

/** ±10 % for main-board A-shares and ETFs, ±20 % for ChiNext and STAR; none for indices and US listings. */
export const dailyLimitOf = (board: Board): number | undefined =>
  board === "chinext" || board === "star" ? 0.2 : board === "main" || board === "etf" ? 0.1 : undefined

const kindOfBoard = (board: Board): InstrumentKind => (board === "etf" ? "etf" : board === "index" ? "index" : "stock")

/** An instrument of a listing: currency, lot size and market follow from the exchange and kind. */
export const makeInstrument = (
  code: string,
  exchange: Exchange,
  name: string,
  board: Board,
  listedDate: string | null,
  delistedDate: string | null = null,
  kind: InstrumentKind = kindOfBoard(board)
): Instrument => ({
  symbol: makeSymbol(code, exchange),
  code,
  exchange,
  market: marketOf(exchange),
  name,
  kind,
  board,
  currency: exchange === "US" ? "USD" : "CNY",
  lot_size: exchange === "US" || kind === "index" ? 1 : 100,
  listed_date: listedDate,
  delisted_date: delistedDate
})
