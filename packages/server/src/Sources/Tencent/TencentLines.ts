import { Result, Schema } from "effect"
import { beijingInstant, cnQuote, type CodeQuote, Decimal, pickFields, symbolOfPrefixed } from "../HttpProvider/ChinaQuote.ts"

/**
 * One line per known code, `v_sh510500="1~name~code~price~…";` with `~`
 * between fields, and `v_pv_none_match="1";` when Tencent knows none of them.
 */
const linePattern = /^v_(\w+)="([^"]*)";$/

/**
 * Positions (0-based), checked against the recorded line for 510500 on 2020-07-31:
 * 3 price 7.224 · 4 previous close 7.149 · 5 open 7.147 · 6 volume in lots
 * 2724781 (= 7 outer 1351032 + 8 inner 1373749) · 30 time 20200731154041
 * (Beijing) · 31 change 0.075 = 7.224 − 7.149 · 32 change % 1.05 = 0.075 / 7.149
 * · 33 high 7.280 and 34 low 7.085 (bracket open and price; repeated at 41, 42;
 * (33 − 34) / 4 = amplitude 2.73 % at 43) · 35 `price/volume(lots)/amount(CNY)`
 * 7.224/2724781/1964297124, whose amount ÷ 10⁴ is field 37 (196430, in 10k CNY)
 * and ÷ (2724781 × 100 shares) is 7.209, the average price at 51 — so volume
 * is in lots of 100 and amount in CNY. Amount is taken from 35, the exact figure.
 */
const positions = { name: 1, code: 2, price: 3, prevClose: 4, open: 5, lots: 6, time: 30, high: 33, low: 34, trade: 35 }

const TencentFields = Schema.Struct({
  name: Schema.String,
  code: Schema.String.check(Schema.isPattern(/^\d{6}$/)),
  price: Decimal,
  prevClose: Decimal,
  open: Decimal,
  lots: Decimal,
  time: Schema.String.check(Schema.isPattern(/^\d{14}$/)),
  high: Decimal,
  low: Decimal,
  trade: Schema.String.check(Schema.isPattern(/^\d+(?:\.\d+)?\/\d+\/\d+(?:\.\d+)?$/))
})
const decodeFields = Schema.decodeUnknownResult(TencentFields)

export const parseTencentLine = (line: string): Result.Result<CodeQuote | undefined, string> => {
  const m = linePattern.exec(line)
  if (m === null) return Result.fail(`line '${line.slice(0, 60)}' does not parse`)
  const key = m[1]!
  const body = m[2]!
  if (key === "pv_none_match") return Result.succeed(undefined)
  if (body === "") return Result.succeed({ code: key, quote: undefined })
  const symbol = symbolOfPrefixed(key)
  if (symbol === undefined) return Result.fail(`line for '${key}' names no SH/SZ listing`)
  const decoded = decodeFields(pickFields(body.split("~"), positions))
  if (Result.isFailure(decoded)) return Result.fail(`line for '${key}': ${decoded.failure.message}`)
  const f = decoded.success
  if (!key.endsWith(f.code)) return Result.fail(`line for '${key}' carries code ${f.code}`)
  const t = f.time
  const n = (from: number, to: number) => Number(t.slice(from, to))
  return Result.succeed({
    code: key,
    quote: cnQuote({
      symbol,
      name: f.name,
      price: f.price,
      prevClose: f.prevClose,
      open: f.open,
      high: f.high,
      low: f.low,
      volume: f.lots * 100,
      amount: Number(f.trade.split("/")[2]),
      ts: beijingInstant(`${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}`, n(8, 10), n(10, 12), n(12, 14))
    })
  })
}
