import { assert, describe, it } from "@effect/vitest"
import type { DailyBar } from "@marketgate/domain/Bar"
import { type DayNumber, toDayNumber } from "@marketgate/domain/CalendarDate"
import { makeInstrument } from "@marketgate/domain/Instrument"
import { clip, missingRuns } from "../../src/MarketData/SessionPlan.ts"
import { assemble, type Assembly, opensSuspended } from "../../src/MarketData/Suspensions.ts"

// The pure planning of DailyHistory: which days a range can have, which runs
// of them to ask a provider for, and which silent sessions are suspensions.

const d = (date: string) => toDayNumber(date)
const listed = makeInstrument("600519", "SH", "Kweichow Moutai", "main", "2001-08-27", "2024-03-29")

describe("SessionPlan.clip", () => {
  it("clips to the listing, the delisting and the last closed session, whichever is tighter", () => {
    assert.deepStrictEqual(clip(listed, d("2001-01-01"), d("2030-01-01"), d("2024-06-03")), { first: d("2001-08-27"), last: d("2024-03-29") })
    assert.deepStrictEqual(clip(listed, d("2024-01-02"), d("2024-12-31"), d("2024-02-01")), { first: d("2024-01-02"), last: d("2024-02-01") })
  })

  it("answers nothing when no day is left, or no session has closed yet", () => {
    assert.isUndefined(clip(listed, d("2024-04-01"), d("2024-04-30"), d("2024-06-03")))
    assert.isUndefined(clip(listed, d("2024-01-02"), d("2024-01-31"), undefined))
  })

  it("an unknown listing date clips nothing", () => {
    const unknown = makeInstrument("AAPL", "US", "Apple", "nasdaq", null)
    assert.deepStrictEqual(clip(unknown, d("1980-01-01"), d("1980-12-31"), d("2024-06-03")), { first: d("1980-01-01"), last: d("1980-12-31") })
  })
})

describe("SessionPlan.missingRuns", () => {
  it("groups consecutive missing sessions into one request each", () => {
    const sessions = [1, 2, 3, 5, 6, 8, 9, 10] as Array<DayNumber>
    const missing = new Set([2, 3, 5, 9, 10] as Array<DayNumber>)
    assert.deepStrictEqual(missingRuns(sessions, missing), [{ first: 2, last: 5 }, { first: 9, last: 10 }])
    assert.deepStrictEqual(missingRuns(sessions, new Set()), [])
  })
})

describe("Suspensions.assemble", () => {
  const bar = (date: string, close: number): DailyBar => ({
    date,
    open: close,
    high: close,
    low: close,
    close,
    volume: 100,
    amount: 100 * close,
    adjFactor: 1,
    suspended: false
  })
  const days = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"].map(d)
  const base: Omit<Assembly, "closeBeforeRange"> = {
    symbol: "600519.SH",
    sessions: days,
    stored: new Map([[d("2024-01-02"), bar("2024-01-02", 10)]]),
    fresh: new Map([[d("2024-01-04"), { bar: { date: "2024-01-04", open: 11, high: 12, low: 10, close: 11.5, volume: 5, amount: 57 }, from: "sina" }]]),
    rejected: new Set(),
    actions: [],
    settled: () => true,
    now: 1_000,
    ingestRunId: 7,
    rules: ["ohlc"]
  }

  it("a settled session nobody sent is a flat suspension at the previous close; stored sessions are served, not written", () => {
    const { rows, served, suspensions } = assemble({ ...base, closeBeforeRange: undefined })
    assert.strictEqual(suspensions, 2)
    assert.deepStrictEqual(served.map((b) => [b.date, b.close, b.suspended]), [
      ["2024-01-02", 10, false],
      ["2024-01-03", 10, true],
      ["2024-01-04", 11.5, false],
      ["2024-01-05", 11.5, true]
    ])
    assert.deepStrictEqual(rows.map((r) => [r.date, r.source, r.checks]), [
      ["2024-01-03", "calendar", []],
      ["2024-01-04", "sina", ["ohlc"]],
      ["2024-01-05", "calendar", []]
    ])
    assert.isTrue(rows.every((r) => r.ingestRunId === 7 && r.fetchedAt === 1_000))
  })

  it("a quarantined or unsettled session stays missing, and is never a suspension", () => {
    const { served, suspensions } = assemble({
      ...base,
      rejected: new Set([d("2024-01-03")]),
      settled: (day) => day !== d("2024-01-05"),
      closeBeforeRange: undefined
    })
    assert.strictEqual(suspensions, 0)
    assert.deepStrictEqual(served.map((b) => b.date), ["2024-01-02", "2024-01-04"])
  })

  it("a range that opens suspended needs the close before it, and is flat at that close", () => {
    const opening = { ...base, stored: new Map() }
    assert.isTrue(opensSuspended(opening))
    assert.isFalse(opensSuspended(base))
    const { served } = assemble({ ...opening, closeBeforeRange: bar("2023-12-29", 9) })
    assert.deepStrictEqual(served.slice(0, 2).map((b) => [b.date, b.close, b.suspended]), [["2024-01-02", 9, true], ["2024-01-03", 9, true]])
    // Without that close there is nothing to be flat at: the sessions stay missing until a bar comes.
    assert.deepStrictEqual(assemble({ ...opening, closeBeforeRange: undefined }).served.map((b) => b.date), ["2024-01-04", "2024-01-05"])
  })
})
