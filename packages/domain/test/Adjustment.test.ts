import { assert, describe, it } from "@effect/vitest"
import { adjustDailyBars } from "../src/Adjustment.ts"
import type { DailyBar } from "../src/Bar.ts"

const daily = (date: string, close: number, adjFactor: number, extra: Partial<DailyBar> = {}): DailyBar => ({
  date,
  open: close,
  high: close,
  low: close,
  close,
  volume: 1_000,
  amount: 1_000 * close,
  adjFactor,
  suspended: false,
  ...extra
})

// A 4:1 split on 2024-03-04: the cumulative (hfq) factor goes from 1 to 4 and the price from ~400 to ~100.
const split = [
  daily("2024-02-29", 398, 1, { open: 396, high: 401, low: 395.5 }),
  daily("2024-03-01", 400, 1, { volume: 2_500 }),
  daily("2024-03-04", 100.5, 4, { open: 100.25, high: 101, low: 99.75, volume: 10_000 }),
  daily("2024-03-05", 101, 4, { suspended: true, volume: 0, amount: 0 })
]

describe("adjustDailyBars", () => {
  it("none: prices as traded, factor dropped", () => {
    const out = adjustDailyBars(split, "none", 4)
    assert.deepStrictEqual(out, split.map(({ adjFactor: _, ...b }) => b))
  })

  it("hfq: multiplies every price by the cumulative factor, so the series continues from listing", () => {
    const out = adjustDailyBars(split, "hfq", 4)
    assert.deepStrictEqual(out.map((b) => b.close), [398, 400, 402, 404])
    assert.deepStrictEqual([out[2]!.open, out[2]!.high, out[2]!.low], [401, 404, 399])
  })

  it("qfq: divides by the latest factor, so today's prices stay and the past is scaled", () => {
    const out = adjustDailyBars(split, "qfq", 4)
    assert.deepStrictEqual(out.map((b) => b.close), [99.5, 100, 100.5, 101])
    assert.deepStrictEqual([out[0]!.open, out[0]!.high, out[0]!.low], [99, 100.25, 98.875])
  })

  it("keeps amount, date and the suspended flag as traded; without splits, volume too", () => {
    for (const adjust of ["none", "qfq", "hfq"] as const) {
      const out = adjustDailyBars(split, adjust, 4)
      assert.deepStrictEqual(out.map((b) => [b.date, b.volume, b.amount, b.suspended]), split.map((b) => [b.date, b.volume, b.amount, b.suspended]))
    }
  })

  it("volume follows the splits (as Yahoo's): qfq in today's shares, hfq in the first day's; turnover unchanged", () => {
    const splits = [{ exDate: "2024-03-04", ratio: 4 }]
    const qfq = adjustDailyBars(split, "qfq", 4, splits)
    assert.deepStrictEqual(qfq.map((b) => b.volume), [4_000, 10_000, 10_000, 0])
    const hfq = adjustDailyBars(split, "hfq", 4, splits)
    assert.deepStrictEqual(hfq.map((b) => b.volume), [1_000, 2_500, 2_500, 0])
    // Price × volume is still about the turnover on both sides of the split.
    assert.closeTo(qfq[0]!.close * qfq[0]!.volume, split[0]!.amount, split[0]!.amount * 0.01)
    assert.deepStrictEqual(qfq.map((b) => b.amount), split.map((b) => b.amount))
    assert.deepStrictEqual(adjustDailyBars(split, "none", 4, splits).map((b) => b.volume), split.map((b) => b.volume))
  })

  it("rounds adjusted prices to 4 decimals", () => {
    // A cash dividend of 0.5 on a 10.00 close gives the factor 10 / 9.5; forward-adjusting the
    // day before the ex-date brings 10.00 down to 9.5 (exactly), and 10.01 to 9.5095.
    const bars = [daily("2024-06-03", 10.01, 1), daily("2024-06-04", 10, 1), daily("2024-06-05", 9.6, 10 / 9.5)]
    const qfq = adjustDailyBars(bars, "qfq", 10 / 9.5)
    assert.deepStrictEqual(qfq.map((b) => b.close), [9.5095, 9.5, 9.6])
    const hfq = adjustDailyBars([daily("2024-06-05", 10.01, 1 / 3)], "hfq", 1)
    assert.strictEqual(hfq[0]!.close, 3.3367) // 10.01 / 3 = 3.33666…
  })

  it("an empty history stays empty", () => {
    assert.deepStrictEqual(adjustDailyBars([], "qfq", 2), [])
  })
})
