import type { DailyBar } from "@marketgate/domain/Bar"
import { type DayNumber, toDayNumber } from "@marketgate/domain/CalendarDate"
import type { ExchangeCalendar } from "@marketgate/domain/calendar/ExchangeCalendar"
import type { Instrument } from "@marketgate/domain/Instrument"
import type { SourceDailyBar } from "../Sources/MarketDataSource.ts"

/** A range of days, both ends included. */
export interface Span {
  readonly first: DayNumber
  readonly last: DayNumber
}

/**
 * The days of [from, to] an instrument can have bars for: not before its
 * listing (an unknown listing date clips nothing), not after its delisting,
 * and not after `lastClosed` (the last session that has closed). Undefined
 * when nothing is left. The one place a daily range is clipped.
 */
export const clip = (instrument: Instrument, from: DayNumber, to: DayNumber, lastClosed: DayNumber | undefined): Span | undefined => {
  const listed = instrument.listed_date === null ? Number.NEGATIVE_INFINITY : toDayNumber(instrument.listed_date)
  const delisted = instrument.delisted_date === null ? Number.POSITIVE_INFINITY : toDayNumber(instrument.delisted_date)
  const first = Math.max(from, listed)
  const last = Math.min(to, lastClosed ?? Number.NEGATIVE_INFINITY, delisted)
  return last < first ? undefined : { first, last }
}

/** What a range needs: its sessions, what the store holds of them, and what is missing. */
export interface SessionPlan {
  readonly span: Span
  readonly sessions: ReadonlyArray<DayNumber>
  readonly stored: ReadonlyMap<DayNumber, DailyBar>
  readonly missing: ReadonlySet<DayNumber>
}

export const plan = (calendar: ExchangeCalendar, span: Span, stored: ReadonlyArray<DailyBar>): SessionPlan => {
  const sessions = calendar.sessionDays(span.first, span.last)
  const byDay = new Map<DayNumber, DailyBar>()
  for (const bar of stored) byDay.set(toDayNumber(bar.date), bar)
  return { span, sessions, stored: byDay, missing: new Set(sessions.filter((d) => !byDay.has(d))) }
}

/** Consecutive runs of missing sessions: each becomes one provider request. */
export const missingRuns = (sessions: ReadonlyArray<DayNumber>, missing: ReadonlySet<DayNumber>): ReadonlyArray<Span> => {
  const runs: Array<{ first: DayNumber; last: DayNumber }> = []
  let current: { first: DayNumber; last: DayNumber } | undefined
  for (const day of sessions) {
    if (missing.has(day)) {
      if (current === undefined) runs.push(current = { first: day, last: day })
      else current.last = day
    } else {
      current = undefined
    }
  }
  return runs
}

/**
 * A flat zero-volume bar is the provider saying "did not trade" (a halt): it
 * is left out, so the session is recorded as a suspension like any other the
 * provider is silent about.
 */
export const halted = (b: SourceDailyBar): boolean =>
  b.volume === 0 && b.open === b.close && b.high === b.close && b.low === b.close
