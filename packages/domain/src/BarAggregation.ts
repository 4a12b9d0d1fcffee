import type { Bar } from "./Bar.ts"
import { type DayNumber, monthOf, toDayNumber, weekdayOf, yearOf } from "./CalendarDate.ts"

/** Monday of the ISO week containing `day`. */
export const weekStart = (day: DayNumber): DayNumber => day - ((weekdayOf(day) + 6) % 7)

const periodKey = (interval: "1w" | "1M", day: DayNumber): number =>
  interval === "1w" ? weekStart(day) : yearOf(day) * 12 + monthOf(day)

/**
 * Weekly or monthly bars from daily bars (sorted by date). A period's bar is
 * dated with its last session; suspended sessions do not set prices, and a
 * period with no trading at all is one suspended bar.
 */
export const aggregateBars = (daily: ReadonlyArray<Bar>, interval: "1w" | "1M"): Array<Bar> => {
  const out: Array<Bar> = []
  let i = 0
  while (i < daily.length) {
    const key = periodKey(interval, toDayNumber(daily[i]!.date))
    let j = i
    while (j < daily.length && periodKey(interval, toDayNumber(daily[j]!.date)) === key) j++
    const period = daily.slice(i, j)
    const traded = period.filter((b) => !b.suspended)
    const last = period[period.length - 1]!
    if (traded.length === 0) {
      out.push({ ...last, volume: 0, amount: 0, suspended: true })
    } else {
      let high = Number.NEGATIVE_INFINITY
      let low = Number.POSITIVE_INFINITY
      let volume = 0
      let amount = 0
      for (const b of traded) {
        if (b.high > high) high = b.high
        if (b.low < low) low = b.low
        volume += b.volume
        amount += b.amount
      }
      out.push({
        date: last.date,
        open: traded[0]!.open,
        high,
        low,
        close: traded[traded.length - 1]!.close,
        volume,
        amount,
        suspended: false
      })
    }
    i = j
  }
  return out
}
