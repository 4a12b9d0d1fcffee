import { DateString } from "@marketgate/domain/CalendarDate"
import { Result, Schema } from "effect"
import { beijingInstant, cnQuote, type CodeQuote, Decimal, pickFields, symbolOfPrefixed } from "../HttpProvider/ChinaQuote.ts"

/**
 * One line per symbol asked:
 * `var hq_str_sh510500="name,open,prev_close,price,high,low,bid,ask,volume,amount,
 * (5 × bid volume,price),(5 × ask volume,price),date,time,status,";`
 * and `var hq_str_sh999999="";` for a code Sina does not know.
 */
const linePattern = /^var hq_str_(\w+)="([^"]*)";$/

/** Positions (0-based) in the comma list; volume is in shares, amount in CNY, date and time Beijing. */
const positions = { name: 0, open: 1, prevClose: 2, price: 3, high: 4, low: 5, volume: 8, amount: 9, date: 30, time: 31 }

const SinaFields = Schema.Struct({
  name: Schema.String,
  open: Decimal,
  prevClose: Decimal,
  price: Decimal,
  high: Decimal,
  low: Decimal,
  volume: Decimal,
  amount: Decimal,
  date: DateString,
  time: Schema.String.check(Schema.isPattern(/^\d{2}:\d{2}:\d{2}$/))
})
const decodeFields = Schema.decodeUnknownResult(SinaFields)

export const parseSinaLine = (line: string): Result.Result<CodeQuote, string> => {
  const m = linePattern.exec(line)
  if (m === null) return Result.fail(`line '${line.slice(0, 60)}' does not parse`)
  const code = m[1]!
  const body = m[2]!
  if (body === "") return Result.succeed({ code, quote: undefined })
  const symbol = symbolOfPrefixed(code)
  if (symbol === undefined) return Result.fail(`line for '${code}' names no SH/SZ listing`)
  const decoded = decodeFields(pickFields(body.split(","), positions))
  if (Result.isFailure(decoded)) return Result.fail(`line for '${code}': ${decoded.failure.message}`)
  const f = decoded.success
  const [hh, mm, ss] = f.time.split(":").map(Number)
  return Result.succeed({
    code,
    quote: cnQuote({
      symbol,
      name: f.name,
      price: f.price,
      prevClose: f.prevClose,
      open: f.open,
      high: f.high,
      low: f.low,
      volume: f.volume,
      amount: f.amount,
      ts: beijingInstant(f.date, hh!, mm!, ss!)
    })
  })
}
