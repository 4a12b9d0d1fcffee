/**
 * Numbers and times as a reader of the chosen language expects them. Pure
 * functions of (value, locale, time zone): the unit tests call them directly.
 */
const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>()

const numberFormat = (locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat => {
  const key = `n|${locale}|${JSON.stringify(options)}`
  let f = cache.get(key)
  if (f === undefined) cache.set(key, (f = new Intl.NumberFormat(locale, options)))
  return f as Intl.NumberFormat
}

const dateFormat = (locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat => {
  const key = `d|${locale}|${JSON.stringify(options)}`
  let f = cache.get(key)
  if (f === undefined) cache.set(key, (f = new Intl.DateTimeFormat(locale, options)))
  return f as Intl.DateTimeFormat
}

const DASH = "–"

export const price = (x: number | null | undefined, locale: string, digits = 2) =>
  x === null || x === undefined ? DASH : numberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(x)

export const signed = (x: number | null | undefined, locale: string, digits = 2) =>
  x === null || x === undefined
    ? DASH
    : numberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits, signDisplay: "exceptZero" }).format(x)

/** `pct` is in percent (1.25 for +1.25 %), as the API sends `change_pct`. */
export const percent = (pct: number | null | undefined, locale: string) =>
  pct === null || pct === undefined
    ? DASH
    : numberFormat(locale, { style: "percent", minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: "exceptZero" })
      .format(pct / 100)

/** 17,448,700 → "1744.87万" (zh) or "17.45M" (en). */
export const compact = (x: number | null | undefined, locale: string) =>
  x === null || x === undefined ? DASH : numberFormat(locale, { notation: "compact", maximumFractionDigits: 2 }).format(x)

export const integer = (x: number | null | undefined, locale: string) =>
  x === null || x === undefined ? DASH : numberFormat(locale, { maximumFractionDigits: 0 }).format(x)

/** An instant, in the exchange's own time zone. */
export const dateTime = (iso: string, locale: string, timeZone: string) =>
  dateFormat(locale, {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23"
  }).format(new Date(iso))

/** A session date `YYYY-MM-DD`, written the reader's way. */
export const sessionDate = (date: string, locale: string) =>
  dateFormat(locale, { timeZone: "UTC", year: "numeric", month: "2-digit", day: "2-digit", weekday: "short" })
    .format(new Date(`${date}T00:00:00Z`))

/** `YYYY-MM-DD HH:mm` of an instant in a time zone: export files and chart labels (locale-free). */
export const localStamp = (iso: string, timeZone: string) => {
  const parts = dateFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23"
  }).formatToParts(new Date(iso))
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "00"
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}`
}

/** Seconds to add to a UTC instant to read it as wall-clock time in `timeZone` (the chart has no time zones). */
export const zoneOffsetSeconds = (epochMs: number, timeZone: string) => {
  const stamp = localStamp(new Date(epochMs).toISOString(), timeZone)
  const asUtc = Date.parse(`${stamp.replace(" ", "T")}:00Z`)
  return Math.round((asUtc - Math.floor(epochMs / 60_000) * 60_000) / 1000)
}

export type Direction = "up" | "down" | "flat"
export const direction = (change: number | null | undefined): Direction =>
  change === null || change === undefined || change === 0 ? "flat" : change > 0 ? "up" : "down"
