import { type IsoDate, parseIsoDate } from "@marketgate/domain/CalendarDate"
import { Result, Schema } from "effect"

/** The shapes of Eastmoney's push2his kline and push2 quote answers this adapter reads. */

/** `data` is null when Eastmoney has no such secid. */
export const KlineResponse = Schema.Struct({
  data: Schema.optionalKey(Schema.NullOr(Schema.Struct({
    code: Schema.String,
    name: Schema.String,
    klines: Schema.Array(Schema.String)
  })))
})

/** With `fltt=2` figures are decimals; a field with no value yet (no trade today) is "-". */
const Figure = Schema.Union([Schema.Finite, Schema.Literal("-")])

export const QuoteData = Schema.Struct({
  f43: Figure, // last price
  f44: Schema.optionalKey(Figure), // high
  f45: Schema.optionalKey(Figure), // low
  f46: Schema.optionalKey(Figure), // open
  f47: Schema.optionalKey(Figure), // volume, lots of 100 shares
  f48: Schema.optionalKey(Figure), // amount, CNY
  f57: Schema.String, // code
  f58: Schema.String, // name
  f60: Schema.Finite, // previous close
  f86: Schema.optionalKey(Schema.Finite) // time of the quote, unix seconds
})
export type QuoteData = typeof QuoteData.Type

export const QuoteResponse = Schema.Struct({ data: Schema.optionalKey(Schema.NullOr(QuoteData)) })

/** A figure, or undefined for "-" and absent fields. */
export const figure = (x: number | "-" | undefined): number | undefined => (typeof x === "number" ? x : undefined)

export interface KlineRow {
  readonly date: IsoDate
  readonly open: number
  readonly close: number
  readonly high: number
  readonly low: number
  /** Lots of 100 shares. */
  readonly lots: number
  /** CNY. */
  readonly amount: number
}

/** `date,open,close,high,low,volume(lots),amount,amplitude%,change%,change,turnover%`: close before high. */
export const parseKline = (line: string): Result.Result<KlineRow, string> => {
  const f = line.split(",")
  if (f.length < 7) return Result.fail(`kline '${line}' has ${f.length} fields, expected 11`)
  const [date, ...rest] = f
  const [open, close, high, low, lots, amount] = rest.slice(0, 6).map((x) => (x.trim() === "" ? Number.NaN : Number(x)))
  if (parseIsoDate(date!) === undefined || [open, close, high, low, lots, amount].some((x) => !Number.isFinite(x))) {
    return Result.fail(`kline '${line}' does not parse`)
  }
  return Result.succeed({ date: date!, open: open!, close: close!, high: high!, low: low!, lots: lots!, amount: amount! })
}
