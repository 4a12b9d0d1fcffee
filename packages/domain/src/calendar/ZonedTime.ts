/**
 * Wall-clock time in an IANA zone (DST included) without a date library:
 * Intl knows the offsets; results are cached per zone and UTC hour.
 */
const formatters = new Map<string, Intl.DateTimeFormat>()
const offsets = new Map<string, number>()
const MS_PER_HOUR = 3_600_000

const formatterFor = (timeZone: string): Intl.DateTimeFormat => {
  let f = formatters.get(timeZone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric"
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** Offset of `timeZone` from UTC at an instant, in ms (local = UTC + offset). */
export const zoneOffsetMs = (epochMs: number, timeZone: string): number => {
  // Zone offsets in use change on whole or half hours; an hour bucket is exact
  // for every zone this service uses.
  const hour = Math.floor(epochMs / MS_PER_HOUR)
  const key = `${timeZone}|${hour}`
  const cached = offsets.get(key)
  if (cached !== undefined) return cached
  const parts: Record<string, number> = {}
  for (const p of formatterFor(timeZone).formatToParts(hour * MS_PER_HOUR)) {
    if (p.type !== "literal") parts[p.type] = Number(p.value)
  }
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!)
  const offset = asUtc - hour * MS_PER_HOUR
  if (offsets.size > 100_000) offsets.clear()
  offsets.set(key, offset)
  return offset
}

/** The instant at which the wall clock in `timeZone` shows `date` `time` (HH:MM). */
export const localTimeToEpochMs = (date: string, time: string, timeZone: string): number => {
  const [y, m, d] = date.split("-").map(Number)
  const [hh, mm] = time.split(":").map(Number)
  const wall = Date.UTC(y!, m! - 1, d!, hh!, mm!)
  // Two passes settle the offset on either side of a DST change.
  const first = wall - zoneOffsetMs(wall, timeZone)
  return wall - zoneOffsetMs(first, timeZone)
}
