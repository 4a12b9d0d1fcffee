import {
  dayNumberOfEpochMs,
  type DayNumber,
  fromDayNumber,
  isWeekend,
  type IsoDate,
  toDayNumber
} from "../CalendarDate.ts"
import { localTimeToEpochMs, zoneOffsetMs } from "./ZonedTime.ts"

/** Local wall-clock time `HH:MM` in the exchange's time zone. */
export type LocalTime = string

/** What the rules say about a day outside the recorded session table. */
export interface CalendarRules {
  /** True when the exchange is closed on this weekday. */
  readonly isClosed: (day: DayNumber) => boolean
  /** The early closing time of a session, if it closes early. */
  readonly earlyClose: (day: DayNumber) => LocalTime | undefined
}

/** A session table in compact form: weekday closures and early closes. */
export interface SessionTable {
  readonly first: IsoDate
  readonly last: IsoDate
  /** Weekdays within [first, last] that are not sessions. */
  readonly closures: ReadonlyArray<IsoDate>
  /** Sessions within [first, last] that close before the regular time. */
  readonly earlyCloses: Readonly<Record<IsoDate, LocalTime>>
}

export interface CalendarSpec {
  readonly name: string
  readonly timeZone: string
  readonly open: LocalTime
  readonly close: LocalTime
  /** Midday break (A-shares lunch break). */
  readonly lunchBreak?: { readonly start: LocalTime; readonly end: LocalTime }
  readonly table: SessionTable
  /** Applied before and after the table. */
  readonly rules: CalendarRules
  /** No session exists before this date (exchange founding). */
  readonly firstSession?: IsoDate
}

export interface SessionTimes {
  readonly date: IsoDate
  readonly open: number
  readonly close: number
  readonly breakStart?: number
  readonly breakEnd?: number
}

export type SessionPhase = "pre_open" | "open" | "lunch_break" | "closed"

/**
 * Trading sessions of one exchange: the recorded table is the truth within its
 * range, the rules answer beyond it. Dates are the exchange's own calendar.
 */
export class ExchangeCalendar {
  readonly spec: CalendarSpec
  private readonly tableFirst: DayNumber
  private readonly tableLast: DayNumber
  private readonly closures: ReadonlySet<DayNumber>
  private readonly earlyCloses: ReadonlyMap<DayNumber, LocalTime>
  private readonly floor: DayNumber
  private readonly timesCache = new Map<DayNumber, SessionTimes>()

  constructor(spec: CalendarSpec) {
    this.spec = spec
    this.tableFirst = toDayNumber(spec.table.first)
    this.tableLast = toDayNumber(spec.table.last)
    this.closures = new Set(spec.table.closures.map(toDayNumber))
    this.earlyCloses = new Map(Object.entries(spec.table.earlyCloses).map(([d, t]) => [toDayNumber(d), t]))
    this.floor = spec.firstSession === undefined ? Number.NEGATIVE_INFINITY : toDayNumber(spec.firstSession)
  }

  get tableRange(): { readonly first: IsoDate; readonly last: IsoDate } {
    return { first: this.spec.table.first, last: this.spec.table.last }
  }

  /** A new calendar whose rules also close these dates (closures announced after the table was recorded). */
  withExtraClosures(dates: ReadonlyArray<IsoDate>): ExchangeCalendar {
    if (dates.length === 0) return this
    const extra = new Set(dates.map(toDayNumber))
    const rules = this.spec.rules
    return new ExchangeCalendar({
      ...this.spec,
      rules: { ...rules, isClosed: (day) => extra.has(day) || rules.isClosed(day) }
    })
  }

  isSessionDay(day: DayNumber): boolean {
    if (day < this.floor || isWeekend(day)) return false
    if (day >= this.tableFirst && day <= this.tableLast) return !this.closures.has(day)
    return !this.spec.rules.isClosed(day)
  }

  isSession(date: IsoDate): boolean {
    return this.isSessionDay(toDayNumber(date))
  }

  /** Session day numbers in [from, to], ascending. */
  sessionDays(from: DayNumber, to: DayNumber): Array<DayNumber> {
    const out: Array<DayNumber> = []
    for (let d = from; d <= to; d++) if (this.isSessionDay(d)) out.push(d)
    return out
  }

  /** Sessions in [from, to] (inclusive), ascending. */
  sessions(from: IsoDate, to: IsoDate): Array<IsoDate> {
    return this.sessionDays(toDayNumber(from), toDayNumber(to)).map(fromDayNumber)
  }

  countSessions(from: IsoDate, to: IsoDate): number {
    const a = toDayNumber(from)
    const b = toDayNumber(to)
    let n = 0
    for (let d = a; d <= b; d++) if (this.isSessionDay(d)) n++
    return n
  }

  /** The latest session on or before `day`, searching at most ~1 year back. */
  sessionOnOrBefore(day: DayNumber): DayNumber | undefined {
    for (let d = day; d > day - 400; d--) if (this.isSessionDay(d)) return d
    return undefined
  }

  /** The day `count` sessions before `day` (the first of them), for indicator warm-up. */
  sessionsBefore(day: DayNumber, count: number): DayNumber {
    let d = day
    for (let n = 0; n < count && d > day - 40 * 366; ) {
      d--
      if (this.isSessionDay(d)) n++
    }
    return d
  }

  sessionOnOrAfter(day: DayNumber): DayNumber | undefined {
    for (let d = day; d < day + 400; d++) if (this.isSessionDay(d)) return d
    return undefined
  }

  /** Opening, closing and break instants (epoch ms) of the session on `day`. */
  sessionTimes(day: DayNumber): SessionTimes | undefined {
    if (!this.isSessionDay(day)) return undefined
    const cached = this.timesCache.get(day)
    if (cached !== undefined) return cached
    const { lunchBreak, open, timeZone } = this.spec
    const inTable = day >= this.tableFirst && day <= this.tableLast
    const close = (inTable ? this.earlyCloses.get(day) : this.spec.rules.earlyClose(day)) ?? this.spec.close
    const date = fromDayNumber(day)
    const at = (t: LocalTime) => localTimeToEpochMs(date, t, timeZone)
    const closeMs = at(close)
    const times: SessionTimes = lunchBreak !== undefined && at(lunchBreak.start) < closeMs
      ? { date, open: at(open), close: closeMs, breakStart: at(lunchBreak.start), breakEnd: at(lunchBreak.end) }
      : { date, open: at(open), close: closeMs }
    this.timesCache.set(day, times)
    return times
  }

  /** The exchange's local calendar date at an instant. */
  localDayAt(epochMs: number): DayNumber {
    return dayNumberOfEpochMs(epochMs + zoneOffsetMs(epochMs, this.spec.timeZone))
  }

  /** Where the exchange stands at an instant, and which session that refers to. */
  phaseAt(epochMs: number): { readonly phase: SessionPhase; readonly day: DayNumber } {
    const today = this.localDayAt(epochMs)
    const times = this.sessionTimes(today)
    if (times === undefined) return { phase: "closed", day: today }
    if (epochMs < times.open) return { phase: "pre_open", day: today }
    if (epochMs >= times.close) return { phase: "closed", day: today }
    if (times.breakStart !== undefined && times.breakEnd !== undefined && epochMs >= times.breakStart && epochMs < times.breakEnd) {
      return { phase: "lunch_break", day: today }
    }
    return { phase: "open", day: today }
  }

  /** The latest session whose close is at or before the instant: its daily bar is final. */
  lastCompletedSession(epochMs: number): DayNumber | undefined {
    const today = this.localDayAt(epochMs)
    const times = this.sessionTimes(today)
    if (times !== undefined && epochMs >= times.close) return today
    return this.sessionOnOrBefore(today - 1)
  }
}
