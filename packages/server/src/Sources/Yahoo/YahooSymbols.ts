import { xnys, xshg } from "@marketgate/domain/calendar/Calendars"
import { codeOf, exchangeOf, isSymbol, type Symbol } from "@marketgate/domain/Symbol"

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
