import { InvalidRequest } from "@marketgate/domain/ApiErrors"
import { MAX_BARS } from "@marketgate/domain/Api"
import { weekStart } from "@marketgate/domain/BarAggregation"
import { type DayNumber, dayNumberOf, fromDayNumber, monthOf, toDayNumber, yearOf } from "@marketgate/domain/CalendarDate"
import type { ExchangeCalendar } from "@marketgate/domain/calendar/ExchangeCalendar"
import type { Instrument } from "@marketgate/domain/Instrument"
import { type Interval, isIntraday, minutesOf } from "@marketgate/domain/Interval"
import { Effect } from "effect"
import { clip } from "./SessionPlan.ts"

/** A requested date range, defaults applied, in the exchange's calendar. */
export interface ResolvedRange {
  readonly from: DayNumber
  readonly to: DayNumber
}

/**
 * `to` defaults to the exchange's today, `from` to one year before `to`.
 * A reversed range is the caller's mistake, said plainly.
 */
export const resolveRange = (
  calendar: ExchangeCalendar,
  now: number,
  from: string | undefined,
  to: string | undefined
): Effect.Effect<ResolvedRange, InvalidRequest> => {
  const toDay = to === undefined ? calendar.localDayAt(now) : toDayNumber(to)
  const fromDay = from === undefined ? toDay - 365 : toDayNumber(from)
  return fromDay > toDay
    ? Effect.fail(
      new InvalidRequest({ message: `from (${fromDayNumber(fromDay)}) must not be after to (${fromDayNumber(toDay)})` })
    )
    : Effect.succeed({ from: fromDay, to: toDay })
}

/** Widen a range to whole weeks or months, so every aggregated bar is a complete period. */
export const widenToPeriods = (range: ResolvedRange, interval: "1w" | "1M"): ResolvedRange => {
  if (interval === "1w") return { from: weekStart(range.from), to: weekStart(range.to) + 6 }
  return {
    from: dayNumberOf(yearOf(range.from), monthOf(range.from), 1),
    to: dayNumberOf(yearOf(range.to), monthOf(range.to) + 1, 0)
  }
}

/** How many bars a range yields for an instrument (trading life and today bound it). */
export const barCount = (
  calendar: ExchangeCalendar,
  instrument: Instrument,
  interval: Interval,
  range: ResolvedRange,
  now: number
): number => {
  // Clipped as DailyHistory clips it, up to today (whose intraday bars count).
  const span = clip(instrument, range.from, range.to, calendar.localDayAt(now))
  if (span === undefined) return 0
  const sessions = calendar.sessionDays(span.first, span.last)
  switch (interval) {
    case "1d":
      return sessions.length
    case "1w":
      return new Set(sessions.map(weekStart)).size
    case "1M":
      return new Set(sessions.map((d) => yearOf(d) * 12 + monthOf(d))).size
    default: {
      if (!isIntraday(interval)) return sessions.length
      const size = minutesOf(interval)
      let n = 0
      for (const day of sessions) {
        const t = calendar.sessionTimes(day)!
        const lunch = t.breakStart !== undefined && t.breakEnd !== undefined ? t.breakEnd - t.breakStart : 0
        n += Math.ceil((t.close - t.open - lunch) / 60_000 / size)
      }
      return n
    }
  }
}

export const ensureWithinLimit = (count: number): Effect.Effect<void, InvalidRequest> =>
  count > MAX_BARS
    ? Effect.fail(
      new InvalidRequest({ message: `range exceeds ${MAX_BARS} bars (it covers ${count}); narrow from/to` })
    )
    : Effect.void
