import { Schema, SchemaGetter } from "effect"

/** Exchanges served: Shanghai, Shenzhen, and US listings. */
export const Exchange = Schema.Literals(["SH", "SZ", "US"])
export type Exchange = typeof Exchange.Type

/** A market groups exchanges that share a calendar, currency and time zone. */
export const Market = Schema.Literals(["CN", "US"])
export type Market = typeof Market.Type

export const marketOf = (exchange: Exchange): Market => (exchange === "US" ? "US" : "CN")

// A-share codes are six digits (SH 000xxx and SZ 399xxx are indices); US
// tickers are letters with an optional class suffix written with a hyphen
// (BRK-B), as Yahoo does; US indices keep Yahoo's caret (^GSPC.US).
const symbolPattern = /^(?:\d{6}\.(?:SH|SZ)|[A-Z][A-Z0-9]{0,5}(?:-[A-Z])?\.US|\^[A-Z]{2,6}\.US)$/

const symbolHelp =
  "use CODE.EXCHANGE with exchange SH, SZ or US, e.g. 600519.SH, 000001.SZ, AAPL.US or the index ^GSPC.US"

/**
 * A listing identifier `CODE.EXCHANGE`. Decoding trims and upper-cases, so
 * `600519.sh` is accepted as `600519.SH`.
 */
export const Symbol = Schema.String.pipe(
  Schema.decodeTo(
    Schema.String.check(
      Schema.makeFilter((s) => symbolPattern.test(s) || `'${s}' is not a symbol: ${symbolHelp}`, {
        title: "symbol",
        description: "CODE.EXCHANGE, e.g. 600519.SH, 000001.SZ, AAPL.US; indices 000001.SH, 399001.SZ, ^GSPC.US"
      })
    ),
    {
      decode: SchemaGetter.transform((s: string) => s.trim().toUpperCase()),
      encode: SchemaGetter.transform((s: string) => s)
    }
  ),
  Schema.brand("Symbol")
)
export type Symbol = typeof Symbol.Type

export const isSymbol = (s: string): s is Symbol => symbolPattern.test(s)

export const exchangeOf = (symbol: Symbol): Exchange => symbol.slice(symbol.lastIndexOf(".") + 1) as Exchange

export const codeOf = (symbol: Symbol): string => symbol.slice(0, symbol.lastIndexOf("."))

export const makeSymbol = (code: string, exchange: Exchange): Symbol => {
  const s = `${code}.${exchange}`
  if (!isSymbol(s)) throw new Error(`'${s}' is not a symbol: ${symbolHelp}`)
  return s
}
