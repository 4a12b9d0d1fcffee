import { Schema } from "effect"

/**
 * Calendar dates (`YYYY-MM-DD`, in the exchange's own calendar) and their day
 * numbers (days since 1970-01-01), which make date arithmetic and set
 * membership cheap.
 */
export type IsoDate = string
export type DayNumber = number

const MS_PER_DAY = 86_400_000
const isoPattern = /^(\d{4})-(\d{2})-(\d{2})$/

export const parseIsoDate = (s: string): DayNumber | undefined => {
  const m = isoPattern.exec(s)
  if (m === null) return undefined
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const ms = Date.UTC(year, month - 1, day)
  const d = new Date(ms)
  // Date.UTC rolls 2024-02-30 over to March; a real date round-trips.
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined
  return ms / MS_PER_DAY
}

export const toDayNumber = (s: IsoDate): DayNumber => {
  const n = parseIsoDate(s)
  if (n === undefined) throw new RangeError(`'${s}' is not a date in YYYY-MM-DD form`)
  return n
}

export const fromDayNumber = (n: DayNumber): IsoDate => new Date(n * MS_PER_DAY).toISOString().slice(0, 10)

export const dayNumberOfEpochMs = (ms: number): DayNumber => Math.floor(ms / MS_PER_DAY)

export const epochMsOfDay = (n: DayNumber): number => n * MS_PER_DAY

/** 0 = Sunday … 6 = Saturday. */
export const weekdayOf = (n: DayNumber): number => (((n + 4) % 7) + 7) % 7

export const isWeekend = (n: DayNumber): boolean => {
  const w = weekdayOf(n)
  return w === 0 || w === 6
}

export const yearOf = (n: DayNumber): number => new Date(n * MS_PER_DAY).getUTCFullYear()

export const monthOf = (n: DayNumber): number => new Date(n * MS_PER_DAY).getUTCMonth() + 1

export const dayNumberOf = (year: number, month: number, day: number): DayNumber =>
  Date.UTC(year, month - 1, day) / MS_PER_DAY

/** A calendar date in `YYYY-MM-DD` form that exists (no 2024-02-30). */
export const DateString = Schema.String.check(
  Schema.makeFilter((s) => parseIsoDate(s) !== undefined || `'${s}' is not a date: use YYYY-MM-DD, e.g. 2024-01-31`, {
    title: "date",
    description: "a calendar date, YYYY-MM-DD"
  })
)
