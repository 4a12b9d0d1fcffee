import { type DayNumber, dayNumberOf, toDayNumber, weekdayOf, yearOf } from "../CalendarDate.ts"
import type { CalendarRules } from "./ExchangeCalendar.ts"

/**
 * NYSE holidays (Rule 7.2) and early closes, for dates outside the recorded
 * table. Checked against every year of the XNYS golden table.
 */

const MONDAY = 1
const THURSDAY = 4

/** n-th (1-based) given weekday of a month; n = -1 for the last. */
const nthWeekday = (year: number, month: number, weekday: number, n: number): DayNumber => {
  if (n > 0) {
    const first = dayNumberOf(year, month, 1)
    return first + ((weekday - weekdayOf(first) + 7) % 7) + (n - 1) * 7
  }
  const last = dayNumberOf(year, month + 1, 0)
  return last - ((weekdayOf(last) - weekday + 7) % 7)
}

/** Gregorian Easter Sunday (anonymous Gregorian algorithm). */
export const easterSunday = (year: number): DayNumber => {
  const a = year % 19
  const b = Math.floor(year / 100)
  const c = year % 100
  const d = Math.floor(b / 4)
  const e = b % 4
  const f = Math.floor((b + 8) / 25)
  const g = Math.floor((b - f + 1) / 3)
  const h = (19 * a + b - d - g + 15) % 30
  const i = Math.floor(c / 4)
  const k = c % 4
  const l = (32 + 2 * e + 2 * i - h - k) % 7
  const m = Math.floor((a + 11 * h + 22 * l) / 451)
  const month = Math.floor((h + l - 7 * m + 114) / 31)
  const day = ((h + l - 7 * m + 114) % 31) + 1
  return dayNumberOf(year, month, day)
}

/** A fixed-date holiday moves to Friday when on Saturday, to Monday when on Sunday. */
const observed = (day: DayNumber): DayNumber => {
  const w = weekdayOf(day)
  return w === 6 ? day - 1 : w === 0 ? day + 1 : day
}

/** Closures no rule predicts: national days of mourning and emergencies. */
export const nyseSpecialClosures: ReadonlyArray<string> = [
  "1994-04-27", // President Nixon's funeral
  "2001-09-11", // September 11 attacks
  "2001-09-12",
  "2001-09-13",
  "2001-09-14",
  "2004-06-11", // President Reagan's funeral
  "2007-01-02", // President Ford's funeral
  "2012-10-29", // Hurricane Sandy
  "2012-10-30",
  "2018-12-05", // President G. H. W. Bush's funeral
  "2025-01-09" // President Carter's funeral
]
const specialClosureDays = new Set(nyseSpecialClosures.map(toDayNumber))

const holidayCache = new Map<number, ReadonlySet<DayNumber>>()

export const nyseHolidays = (year: number): ReadonlySet<DayNumber> => {
  const cached = holidayCache.get(year)
  if (cached !== undefined) return cached
  const days = new Set<DayNumber>()
  // New Year's Day on a Saturday is not observed on the Friday before (it would
  // fall in the previous year); on a Sunday it moves to Monday.
  const newYear = dayNumberOf(year, 1, 1)
  if (weekdayOf(newYear) !== 6) days.add(observed(newYear))
  if (year >= 1998) days.add(nthWeekday(year, 1, MONDAY, 3)) // Martin Luther King Jr. Day
  days.add(nthWeekday(year, 2, MONDAY, 3)) // Washington's Birthday
  days.add(easterSunday(year) - 2) // Good Friday
  days.add(nthWeekday(year, 5, MONDAY, -1)) // Memorial Day
  if (year >= 2022) days.add(observed(dayNumberOf(year, 6, 19))) // Juneteenth
  days.add(observed(dayNumberOf(year, 7, 4))) // Independence Day
  days.add(nthWeekday(year, 9, MONDAY, 1)) // Labor Day
  days.add(nthWeekday(year, 11, THURSDAY, 4)) // Thanksgiving
  days.add(observed(dayNumberOf(year, 12, 25))) // Christmas
  holidayCache.set(year, days)
  return days
}

export const nyseRules: CalendarRules = {
  isClosed: (day) => specialClosureDays.has(day) || nyseHolidays(yearOf(day)).has(day),
  earlyClose: (day) => {
    const year = yearOf(day)
    const w = weekdayOf(day)
    if (day === nthWeekday(year, 11, THURSDAY, 4) + 1) return "13:00" // day after Thanksgiving
    // July 3 and December 24 close early when the holiday itself falls on a
    // weekday after them (Mon–Thu); on Friday they are the observed holiday.
    if ((day === dayNumberOf(year, 7, 3) || day === dayNumberOf(year, 12, 24)) && w >= 1 && w <= 4) return "13:00"
    return undefined
  }
}
