import { zoneOffsetMs } from "@marketgate/domain/calendar/ZonedTime"
import { dayNumberOfEpochMs, fromDayNumber, type IsoDate } from "@marketgate/domain/CalendarDate"
import { Result } from "effect"
import type { CorporateAction, SourceDailyBar } from "../MarketDataSource.ts"
import type { ChartResult } from "./YahooSchemas.ts"

/** One chart row with prices, as Yahoo reports it. */
export interface ChartRow {
  /** Bar instant, epoch ms. */
  readonly ts: number
  /** Exchange-local date of the bar. */
  readonly date: IsoDate
  readonly open: number
  readonly high: number
  readonly low: number
  readonly close: number
  readonly volume: number
}

export const localDate = (epochMs: number, zone: string): IsoDate =>
  fromDayNumber(dayNumberOfEpochMs(epochMs + zoneOffsetMs(epochMs, zone)))

const round2 = (x: number) => Math.round(x * 100) / 100

/**
 * The rows of a chart answer. Rows whose OHLC are null (Yahoo's halted or
 * empty intervals) are skipped; a null volume with prices counts as 0.
 */
export const chartRows = (result: ChartResult, zone: string): Result.Result<Array<ChartRow>, string> => {
  const timestamps = result.timestamp ?? []
  const quote = result.indicators.quote[0]
  if (timestamps.length === 0) return Result.succeed([])
  if (quote === undefined) return Result.fail(`${timestamps.length} timestamps but no quote series`)
  const series = [quote.open, quote.high, quote.low, quote.close, quote.volume]
  if (series.some((s) => s === undefined || s.length !== timestamps.length)) {
    return Result.fail(`the open/high/low/close/volume series do not all have ${timestamps.length} values`)
  }
  const rows: Array<ChartRow> = []
  timestamps.forEach((seconds, i) => {
    const [open, high, low, close, volume] = series.map((s) => s![i])
    if (open == null || high == null || low == null || close == null) return
    const ts = seconds * 1000
    rows.push({ ts, date: localDate(ts, zone), open, high, low, close, volume: volume ?? 0 })
  })
  return Result.succeed(rows)
}

export interface SplitEvent {
  readonly exDate: IsoDate
  readonly numerator: number
  readonly denominator: number
}

export const splitEvents = (result: ChartResult, zone: string): Array<SplitEvent> =>
  Object.values(result.events?.splits ?? {})
    .map((s) => ({ exDate: localDate(s.date * 1000, zone), numerator: s.numerator, denominator: s.denominator }))
    .sort((a, b) => a.exDate.localeCompare(b.exDate))

/** Product of the ratios of the splits with an ex-date after `date`: what Yahoo divided that day's prices by. */
export const splitFactorAfter = (splits: ReadonlyArray<SplitEvent>, date: IsoDate): number =>
  splits.reduce((k, s) => (s.exDate > date ? (k * s.numerator) / s.denominator : k), 1)

/**
 * Yahoo's chart prices are divided by every split up to the request (and
 * volumes multiplied): undo that with the splits the answer lists. Amount is
 * not reported by Yahoo; it is estimated as volume × mean of OHLC.
 */
export const asTradedBars = (rows: ReadonlyArray<ChartRow>, splits: ReadonlyArray<SplitEvent>): Array<SourceDailyBar> =>
  rows.map((r) => {
    const k = splitFactorAfter(splits, r.date)
    const open = r.open * k
    const high = r.high * k
    const low = r.low * k
    const close = r.close * k
    const volume = Math.round(r.volume / k)
    return { date: r.date, open, high, low, close, volume, amount: round2((volume * (open + high + low + close)) / 4) }
  })

/**
 * Splits and dividends with an ex-date in [from, to]. Yahoo states dividends per
 * share of today's share count; the amount per share held at the ex-date is
 * larger by the splits since.
 */
export const corporateActions = (
  result: ChartResult,
  zone: string,
  splits: ReadonlyArray<SplitEvent>,
  from: IsoDate,
  to: IsoDate
): Array<CorporateAction> => {
  const inRange = (d: IsoDate) => d >= from && d <= to
  const dividends = Object.values(result.events?.dividends ?? {}).map((d): CorporateAction => {
    const exDate = localDate(d.date * 1000, zone)
    return { kind: "dividend", exDate, amount: d.amount * splitFactorAfter(splits, exDate) }
  })
  const splitActions = splits.map((s): CorporateAction => ({ kind: "split", ...s }))
  return [...splitActions, ...dividends]
    .filter((a) => inRange(a.exDate))
    .sort((a, b) => a.exDate.localeCompare(b.exDate))
}
