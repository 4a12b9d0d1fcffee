import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import type { Bar } from "../src/Bar.ts"
import { aggregateBars, weekStart } from "../src/BarAggregation.ts"
import { dayNumberOf, fromDayNumber, isWeekend, toDayNumber } from "../src/CalendarDate.ts"

const bar = (date: string, open: number, high: number, low: number, close: number, volume: number, amount = volume * close): Bar =>
  ({ date, open, high, low, close, volume, amount, suspended: false })

const suspendedBar = (date: string, price: number): Bar =>
  ({ date, open: price, high: price, low: price, close: price, volume: 0, amount: 0, suspended: true })

/** ISO week identity computed independently: the date of that week's Thursday (via Date). */
const isoWeekKey = (date: string): string => {
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + 3 - ((d.getUTCDay() + 6) % 7))
  return d.toISOString().slice(0, 10)
}
const monthKey = (date: string): string => date.slice(0, 7)

/** The expected aggregate, written directly from the definition. */
const expected = (daily: ReadonlyArray<Bar>, key: (date: string) => string) => {
  const groups = new Map<string, Array<Bar>>()
  for (const b of daily) groups.set(key(b.date), [...(groups.get(key(b.date)) ?? []), b])
  return [...groups.values()].map((g) => {
    const last = g[g.length - 1]!
    const traded = g.filter((b) => !b.suspended)
    if (traded.length === 0) return { ...last, volume: 0, amount: 0, suspended: true }
    return {
      date: last.date,
      open: traded[0]!.open,
      high: Math.max(...traded.map((b) => b.high)),
      low: Math.min(...traded.map((b) => b.low)),
      close: traded[traded.length - 1]!.close,
      volume: traded.reduce((s, b) => s + b.volume, 0),
      amount: traded.reduce((s, b) => s + b.amount, 0),
      suspended: false
    }
  })
}

const assertSameBars = (actual: ReadonlyArray<Bar>, wanted: ReadonlyArray<Bar>) => {
  assert.strictEqual(actual.length, wanted.length)
  wanted.forEach((w, i) => {
    const a = actual[i]!
    assert.deepStrictEqual({ ...a, volume: 0, amount: 0 }, { ...w, volume: 0, amount: 0 })
    assert.closeTo(a.volume, w.volume, 1e-6)
    assert.closeTo(a.amount, w.amount, 1e-6)
  })
}

/** Random daily bars on weekdays, ascending, with suspensions (prices repeat the previous close). */
const dailyBars = fc.record({
  start: fc.integer({ min: dayNumberOf(1995, 1, 1), max: dayNumberOf(2035, 1, 1) }),
  steps: fc.array(
    fc.record({
      gap: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 4, max: 45 }) }),
      suspended: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      low: fc.integer({ min: 100, max: 20_000 }),
      range: fc.integer({ min: 0, max: 2_000 }),
      open: fc.double({ min: 0, max: 1, noNaN: true }),
      close: fc.double({ min: 0, max: 1, noNaN: true }),
      volume: fc.integer({ min: 1, max: 1_000_000 })
    }),
    { maxLength: 150 }
  )
}).map(({ start, steps }) => {
  const out: Array<Bar> = []
  let day = start
  let prevClose = 10
  for (const s of steps) {
    day += s.gap
    while (isWeekend(day)) day++
    const date = fromDayNumber(day)
    if (s.suspended) {
      out.push(suspendedBar(date, prevClose))
      continue
    }
    const cents = (x: number) => Math.round(x) / 100
    const low = cents(s.low)
    const high = cents(s.low + s.range)
    const b = bar(date, cents(s.low + s.open * s.range), high, low, cents(s.low + s.close * s.range), s.volume)
    out.push(b)
    prevClose = b.close
  }
  return out
})

describe("aggregateBars (property)", () => {
  it("weekly: one bar per ISO week, first open, last close, max high, min low, summed volume", () => {
    fc.assert(fc.property(dailyBars, (daily) => {
      const weekly = aggregateBars(daily, "1w")
      assert.strictEqual(weekly.length, new Set(daily.map((b) => isoWeekKey(b.date))).size)
      assertSameBars(weekly, expected(daily, isoWeekKey))
    }), { numRuns: 300 })
  })

  it("monthly: one bar per calendar month, same rules", () => {
    fc.assert(fc.property(dailyBars, (daily) => {
      const monthly = aggregateBars(daily, "1M")
      assert.strictEqual(monthly.length, new Set(daily.map((b) => monthKey(b.date))).size)
      assertSameBars(monthly, expected(daily, monthKey))
    }), { numRuns: 300 })
  })
})

describe("aggregateBars (examples)", () => {
  const daily = [
    bar("2024-01-29", 10, 11, 9.5, 10.5, 100), // Monday
    bar("2024-01-31", 10.5, 12, 10, 11.5, 200), // Wednesday, last session of January
    suspendedBar("2024-02-01", 11.5), // Thursday
    bar("2024-02-02", 11.4, 11.6, 9, 9.2, 300), // Friday
    suspendedBar("2024-02-05", 9.2), // a week with no trading at all
    suspendedBar("2024-02-07", 9.2)
  ]

  it("a week across a month end is one weekly bar dated with its last session", () => {
    const weekly = aggregateBars(daily, "1w")
    assert.deepStrictEqual(weekly, [
      { date: "2024-02-02", open: 10, high: 12, low: 9, close: 9.2, volume: 600, amount: 100 * 10.5 + 200 * 11.5 + 300 * 9.2, suspended: false },
      { ...suspendedBar("2024-02-07", 9.2) }
    ])
  })

  it("the same days split into January and February monthly bars", () => {
    const monthly = aggregateBars(daily, "1M")
    assert.deepStrictEqual(monthly.map((b) => [b.date, b.open, b.high, b.low, b.close, b.volume, b.suspended]), [
      ["2024-01-31", 10, 12, 9.5, 11.5, 300, false],
      ["2024-02-07", 11.4, 11.6, 9, 9.2, 300, false] // the suspended days set no prices
    ])
  })

  it("a month with only suspended sessions is one suspended bar", () => {
    const monthly = aggregateBars([suspendedBar("2024-03-04", 8), suspendedBar("2024-03-29", 8), bar("2024-04-01", 8, 9, 7, 8.5, 10)], "1M")
    assert.deepStrictEqual(monthly[0], suspendedBar("2024-03-29", 8))
    assert.strictEqual(monthly.length, 2)
  })

  it("ISO weeks cross the year end (2024-12-30 … 2025-01-03 is one week)", () => {
    const weekly = aggregateBars([bar("2024-12-27", 1, 1, 1, 1, 1), bar("2024-12-30", 2, 3, 2, 3, 1), bar("2025-01-03", 3, 4, 3, 4, 1)], "1w")
    assert.deepStrictEqual(weekly.map((b) => [b.date, b.open, b.close]), [["2024-12-27", 1, 1], ["2025-01-03", 2, 4]])
  })

  it("no bars in, no bars out", () => {
    assert.deepStrictEqual(aggregateBars([], "1w"), [])
    assert.deepStrictEqual(aggregateBars([], "1M"), [])
  })

  it("weekStart is the Monday on or before a day", () => {
    const monday = toDayNumber("2026-11-16")
    for (let d = 0; d < 7; d++) assert.strictEqual(weekStart(monday + d), monday) // Monday … Sunday
    assert.strictEqual(weekStart(monday - 1), monday - 7)
  })
})
