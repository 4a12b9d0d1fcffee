import { xshg } from "@marketgate/domain/calendar/Calendars"
import { localTimeToEpochMs } from "@marketgate/domain/calendar/ZonedTime"
import type { IsoDate } from "@marketgate/domain/CalendarDate"
import type { Quote, TradingStatus } from "@marketgate/domain/Quote"
import { codeOf, exchangeOf, isSymbol, type Symbol } from "@marketgate/domain/Symbol"
import { Schema, SchemaTransformation } from "effect"

/** `600519.SH` → `sh600519`, the form Sina and Tencent use. */
export const prefixedCode = (symbol: Symbol): string => `${exchangeOf(symbol).toLowerCase()}${codeOf(symbol)}`

/** `sh600519` → `600519.SH`; undefined for anything else. */
export const symbolOfPrefixed = (s: string): Symbol | undefined => {
  const m = /^(sh|sz)(\d{6})$/.exec(s)
  if (m === null) return undefined
  const symbol = `${m[2]}.${m[1]!.toUpperCase()}`
  return isSymbol(symbol) ? symbol : undefined
}

/** The instant Beijing wall-clock time `date hh:mm:ss` shows. */
export const beijingInstant = (date: IsoDate, hh: number, mm: number, ss: number): number =>
  localTimeToEpochMs(date, `${hh}:${mm}`, xshg.spec.timeZone) + ss * 1000

const round = (x: number, digits: number) => {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

export interface CnQuoteFields {
  readonly symbol: Symbol
  readonly name: string
  /** Last trade price; 0 when nothing has traded yet this session. */
  readonly price: number
  readonly prevClose: number
  readonly open: number
  readonly high: number
  readonly low: number
  /** Shares. */
  readonly volume: number
  /** CNY. */
  readonly amount: number
  /** Instant of the quote, epoch ms. */
  readonly ts: number
}

/**
 * A-share quote from a provider's raw figures. The status is the Shanghai
 * session phase at the quote's own instant. A price of 0 means no trade yet:
 * before the open (the 09:15–09:25 call auction included) that is "pre_open";
 * later in a session day it means the stock did not trade, "suspended". Either
 * way price, open, high and low repeat the previous close, as quote screens
 * show it; the auction's indicative price is not a trade and is not used.
 */
export const cnQuote = (f: CnQuoteFields): Quote => {
  const { phase } = xshg.phaseAt(f.ts)
  const traded = f.price > 0
  const status: TradingStatus = traded ? phase : phase === "pre_open" ? "pre_open" : "suspended"
  const p = f.prevClose
  const price = traded ? f.price : p
  const change = round(price - p, 3)
  return {
    symbol: f.symbol,
    name: f.name,
    price,
    open: traded ? f.open : p,
    high: traded ? f.high : p,
    low: traded ? f.low : p,
    prev_close: p,
    change,
    change_pct: p === 0 ? 0 : round((change / p) * 100, 2),
    volume: traded ? f.volume : 0,
    amount: traded ? f.amount : 0,
    status,
    ts: new Date(f.ts).toISOString()
  }
}

/** A decimal as Sina and Tencent write it: `8.375`, `-0.5`, `0`; empty or other text fails. */
export const Decimal = Schema.String.check(Schema.isPattern(/^-?\d+(?:\.\d+)?$/)).pipe(
  Schema.decodeTo(Schema.Finite, SchemaTransformation.numberFromString)
)

/** Picks fields by position (absent positions stay absent, so decoding names them as missing). */
export const pickFields = <K extends string>(fields: ReadonlyArray<string>, positions: Readonly<Record<K, number>>) => {
  const out: Partial<Record<K, string>> = {}
  for (const key of Object.keys(positions) as Array<K>) {
    const value = fields[positions[key]]
    if (value !== undefined) out[key] = value
  }
  return out
}

/** One line of a Sina or Tencent answer. */
export interface CodeQuote {
  /** The code as asked, e.g. `sh510500`. */
  readonly code: string
  /** Undefined when the provider does not know the code. */
  readonly quote: Quote | undefined
}
