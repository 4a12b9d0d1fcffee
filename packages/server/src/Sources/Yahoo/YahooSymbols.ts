import { xnys, xshg } from "@marketgate/domain/calendar/Calendars"
import { fromDayNumber, dayNumberOfEpochMs } from "@marketgate/domain/CalendarDate"
import { cnListingOf } from "@marketgate/domain/ChinaBoards"
import { type Board, type Instrument, type InstrumentKind, makeInstrument } from "@marketgate/domain/Instrument"
import { codeOf, exchangeOf, isSymbol, type Symbol } from "@marketgate/domain/Symbol"
import type { YahooDescription } from "./YahooSchemas.ts"

/** `AAPL.US` → `AAPL`, `BRK-B.US` → `BRK-B`, `600519.SH` → `600519.SS`, `000001.SZ` → `000001.SZ`. */
export const toYahoo = (symbol: Symbol): string => {
  const exchange = exchangeOf(symbol)
  const code = codeOf(symbol)
  return exchange === "US" ? code : exchange === "SH" ? `${code}.SS` : `${code}.SZ`
}

/** The inverse of `toYahoo`; undefined for listings this service does not serve. */
export const fromYahoo = (yahoo: string): Symbol | undefined => {
  const s = yahoo.endsWith(".SS") ? `${yahoo.slice(0, -3)}.SH` : yahoo.endsWith(".SZ") ? yahoo : `${yahoo}.US`
  return isSymbol(s) ? s : undefined
}

/** The exchange's zone, used when Yahoo's answer does not name one. */
export const zoneOf = (symbol: Symbol): string =>
  exchangeOf(symbol) === "US" ? xnys.spec.timeZone : xshg.spec.timeZone

/** Yahoo's exchange codes of US listings. */
const usBoards: Readonly<Record<string, Board>> = {
  NMS: "nasdaq",
  NGM: "nasdaq",
  NCM: "nasdaq",
  NAS: "nasdaq",
  NYQ: "nyse",
  ASE: "nyse_american",
  PCX: "nyse_arca",
  BTS: "cboe",
  IEX: "iex",
  // Index quotes (^GSPC on SNP, ^IXIC on NIM, ^DJI on DJI).
  SNP: "index",
  NIM: "index",
  DJI: "index"
}

const kinds: Readonly<Record<string, InstrumentKind>> = { EQUITY: "stock", ETF: "etf", INDEX: "index" }

/**
 * The instrument a Yahoo quote entry describes, or undefined when it is not a
 * stock, ETF or index on an exchange this service serves (a fund, a currency,
 * an OTC listing …).
 */
export const describeListing = (symbol: Symbol, entry: YahooDescription): Instrument | undefined => {
  const kind = kinds[entry.quoteType]
  if (kind === undefined) return undefined
  const exchange = exchangeOf(symbol)
  const name = entry.longName ?? entry.shortName ?? entry.symbol
  // The first trade's instant falls on its exchange date in UTC too (09:30 in New York or Shanghai).
  const listed = entry.firstTradeDateMilliseconds === undefined ? null : fromDayNumber(dayNumberOfEpochMs(entry.firstTradeDateMilliseconds))
  if (exchange === "US") {
    const board = kind === "index" ? "index" : usBoards[entry.exchange ?? ""]
    return board === undefined || (board === "index") !== (kind === "index") ? undefined : makeInstrument(codeOf(symbol), exchange, name, board, listed, null, kind)
  }
  const cn = cnListingOf(codeOf(symbol), exchange)
  return cn === undefined || cn.kind !== kind ? undefined : makeInstrument(codeOf(symbol), exchange, name, cn.board, listed, null, kind)
}
