import { Schema } from "effect"
import { DateString } from "./CalendarDate.ts"
import { Exchange, makeSymbol, Market, marketOf, Symbol } from "./Symbol.ts"

/** Listing segment: it sets the A-share daily price limit (±10 % main, ±20 % ChiNext/STAR). */
export const Board = Schema.Literals(["main", "chinext", "star", "etf", "nyse", "nasdaq"])
export type Board = typeof Board.Type

export const Currency = Schema.Literals(["CNY", "USD"])

export const Instrument = Schema.Struct({
  symbol: Symbol,
  code: Schema.String,
  exchange: Exchange,
  market: Market,
  name: Schema.String,
  board: Board,
  currency: Currency,
  lot_size: Schema.Int.annotate({ description: "shares per board lot (100 for A-shares)" }),
  listed_date: DateString,
  delisted_date: Schema.NullOr(DateString)
}).annotate({ identifier: "Instrument" })
export type Instrument = typeof Instrument.Type

export const InstrumentPage = Schema.Struct({
  total: Schema.Int.annotate({ description: "instruments matching the filter" }),
  limit: Schema.Int,
  offset: Schema.Int,
  instruments: Schema.Array(Instrument)
}).annotate({ identifier: "InstrumentPage" })
export type InstrumentPage = typeof InstrumentPage.Type

/** ±10 % for main-board A-shares, ±20 % for ChiNext and STAR; none for US listings. */
export const dailyLimitOf = (board: Board): number | undefined =>
  board === "chinext" || board === "star" ? 0.2 : board === "main" || board === "etf" ? 0.1 : undefined

/** An instrument of a listing: currency, lot size and market follow from the exchange. */
export const makeInstrument = (
  code: string,
  exchange: Exchange,
  name: string,
  board: Board,
  listedDate: string,
  delistedDate: string | null = null
): Instrument => ({
  symbol: makeSymbol(code, exchange),
  code,
  exchange,
  market: marketOf(exchange),
  name,
  board,
  currency: exchange === "US" ? "USD" : "CNY",
  lot_size: exchange === "US" ? 1 : 100,
  listed_date: listedDate,
  delisted_date: delistedDate
})
