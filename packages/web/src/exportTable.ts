import { localStamp } from "./format.ts"
import type { Adjust, Bar, Indicators, Interval } from "./types.ts"
import { isIntraday } from "./types.ts"

/** What the symbol page shows, as exported: its bars and the indicators beside them. */
export interface ExportData {
  readonly symbol: string
  readonly name: string
  readonly interval: Interval
  readonly adjust: Adjust
  readonly from: string
  readonly to: string
  readonly timeZone: string
  readonly bars: ReadonlyArray<Bar>
  readonly indicators: Indicators | undefined
  readonly boll: boolean
}

export type Cell = string | number | boolean | null

export interface Table {
  readonly header: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<Cell>>
}

/**
 * One row per bar, in the API's units and field names (so a file parses back
 * to `/v1/bars`): symbol, name, date, and for intraday bars `ts` (UTC) and
 * `time` (the exchange's clock); then the indicators the page shows.
 */
export const exportTable = (d: ExportData): Table => {
  const intraday = isIntraday(d.interval)
  const ind = d.indicators
  const header = [
    "symbol",
    "name",
    "date",
    ...(intraday ? ["ts", "time"] : []),
    "open",
    "high",
    "low",
    "close",
    "volume",
    "amount",
    "suspended",
    ...(ind === undefined ? [] : ["ma5", "ma10", "ma20", ...(d.boll ? ["boll_upper", "boll_middle", "boll_lower"] : []), "macd", "macd_signal", "macd_histogram", "rsi14"])
  ]
  const rows = d.bars.map((b): Array<Cell> => {
    const row: Array<Cell> = [d.symbol, d.name, b.date]
    if (intraday) row.push(b.ts ?? null, b.ts === undefined ? null : localStamp(b.ts, d.timeZone))
    row.push(b.open, b.high, b.low, b.close, b.volume, b.amount, b.suspended)
    if (ind !== undefined) {
      const boll = ind.boll.get(b.date)
      const macd = ind.macd.get(b.date)
      row.push(ind.ma5.get(b.date) ?? null, ind.ma10.get(b.date) ?? null, ind.ma20.get(b.date) ?? null)
      if (d.boll) row.push(boll?.upper ?? null, boll?.middle ?? null, boll?.lower ?? null)
      row.push(macd?.macd ?? null, macd?.signal ?? null, macd?.histogram ?? null, ind.rsi.get(b.date) ?? null)
    }
    return row
  })
  return { header, rows }
}

const BOM = "\uFEFF"

const field = (cell: Cell): string => {
  if (cell === null) return ""
  const text = String(cell)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** RFC 4180 CSV, UTF-8 with a byte-order mark so Excel reads Chinese names right. */
export const csvText = (table: Table): string =>
  BOM + [table.header, ...table.rows].map((row) => row.map(field).join(",")).join("\r\n") + "\r\n"

export const fileName = (d: ExportData, ext: string) => `${d.symbol}_${d.interval}_${d.adjust}_${d.from}_${d.to}.${ext}`
