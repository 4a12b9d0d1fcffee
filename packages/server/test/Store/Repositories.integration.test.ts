import { assert, describe, layer } from "@effect/vitest"
import type { Instrument } from "@marketgate/domain/Instrument"
import { Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { simulatedUniverse } from "../../src/Sources/Simulated/Universe.ts"
import { DailyBarRepo, type DailyBarRow } from "../../src/Store/DailyBarRepo.ts"
import { InstrumentRepo } from "../../src/Store/InstrumentRepo.ts"
import { freshPglite, freshPostgres } from "../support/TestDatabase.ts"

// One suite, two backends: the embedded default and a real PostgreSQL server
// run the same SQL and must behave the same.
const backends = [
  ["PGlite (embedded)", freshPglite],
  ["PostgreSQL", freshPostgres]
] as const

const day = (i: number) => new Date(Date.UTC(2024, 0, 2) + i * 86_400_000).toISOString().slice(0, 10)

const bar = (symbol: string, i: number, overrides: Partial<DailyBarRow> = {}): DailyBarRow => ({
  symbol,
  date: day(i),
  // Integers and fractions mixed on purpose: the driver must not trip on either.
  open: 10 + i,
  high: 11.25 + i,
  low: 9.5 + i,
  close: 10.75 + i,
  volume: 1_000_000 + i * 100,
  amount: 10_750_000.5 + i,
  adjFactor: 1,
  suspended: false,
  source: "test",
  fetchedAt: Date.UTC(2025, 0, 1),
  ingestRunId: null,
  checks: ["ohlc", "zero_volume"],
  ...overrides
})

const countRows = (symbol: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM bars_daily WHERE symbol = ${symbol}`
    return rows[0]!.n
  })

for (const [name, database] of backends) {
  describe(name, () => {
    layer(Layer.mergeAll(DailyBarRepo.layer, InstrumentRepo.layer).pipe(Layer.provideMerge(database())), {
      timeout: "60 seconds"
    })("repositories", (it) => {
      it.effect("bulk upsert is idempotent: a second write of the same bars changes nothing", () =>
        Effect.gen(function*() {
          const repo = yield* DailyBarRepo
          const rows = Array.from({ length: 300 }, (_, i) => bar("600000.SH", i))
          assert.strictEqual(yield* repo.upsert(rows), 300)
          assert.strictEqual(yield* repo.upsert(rows), 0)
          assert.strictEqual(yield* countRows("600000.SH"), 300)
          // A corrected bar is one write, and the row is replaced, not duplicated.
          assert.strictEqual(yield* repo.upsert([bar("600000.SH", 5, { close: 15.5, high: 16.25 })]), 1)
          assert.strictEqual(yield* countRows("600000.SH"), 300)
          const [changed] = yield* repo.range("600000.SH", day(5), day(5))
          assert.strictEqual(changed!.close, 15.5)
        }))

      it.effect("reads a range back exactly, in date order", () =>
        Effect.gen(function*() {
          const repo = yield* DailyBarRepo
          const rows = [3, 1, 2, 0].map((i) => bar("000001.SZ", i, i === 2 ? { suspended: true, volume: 0, amount: 0 } : {}))
          yield* repo.upsert(rows)
          const read = yield* repo.range("000001.SZ", day(1), day(3))
          assert.deepStrictEqual(read.map((b) => b.date), [day(1), day(2), day(3)])
          const expected = bar("000001.SZ", 1)
          assert.deepStrictEqual(read[0], {
            date: expected.date,
            open: expected.open,
            high: expected.high,
            low: expected.low,
            close: expected.close,
            volume: expected.volume,
            amount: expected.amount,
            adjFactor: 1,
            suspended: false
          })
          assert.strictEqual(read[1]!.suspended, true)
          assert.deepStrictEqual(yield* repo.range("000001.SZ", day(10), day(20)), [])
        }))

      it.effect("finds the last bar before a date and the latest adjustment factor", () =>
        Effect.gen(function*() {
          const repo = yield* DailyBarRepo
          yield* repo.upsert([bar("AAPL.US", 0, { adjFactor: 0.25 }), bar("AAPL.US", 7, { adjFactor: 1 })])
          const before = yield* repo.lastBefore("AAPL.US", day(7))
          assert.strictEqual(Option.getOrThrow(before).date, day(0))
          assert.isTrue(Option.isNone(yield* repo.lastBefore("AAPL.US", day(0))))
          assert.strictEqual(yield* repo.latestAdjFactor("AAPL.US"), 1)
          assert.strictEqual(yield* repo.latestAdjFactor("NONE.US"), 1)
        }))

      it.effect("refuses an impossible bar (the table checks OHLC) with a StoreError", () =>
        Effect.gen(function*() {
          const repo = yield* DailyBarRepo
          const error = yield* Effect.flip(repo.upsert([bar("600001.SH", 0, { low: 12, open: 10 })]))
          assert.strictEqual(error._tag, "StoreError")
          assert.strictEqual(yield* countRows("600001.SH"), 0)
        }))

      it.effect("a new corporate action rescales stored bars from its ex-date on, once", () =>
        Effect.gen(function*() {
          const repo = yield* DailyBarRepo
          yield* repo.upsert(Array.from({ length: 6 }, (_, i) => bar("NVDA.US", i)))
          const split = { exDate: day(3), kind: "split" as const, numerator: 4, denominator: 1, factor: 4 }
          const dividend = { exDate: day(5), kind: "dividend" as const, amount: 0.5, factor: 1.05 }
          assert.strictEqual(yield* repo.recordActions("NVDA.US", [split, dividend], "test"), 2)
          // Recording the same actions again is a no-op: factors are not applied twice.
          assert.strictEqual(yield* repo.recordActions("NVDA.US", [split, dividend], "test"), 0)
          const factors = (yield* repo.range("NVDA.US", day(0), day(5))).map((b) => b.adjFactor)
          assert.deepStrictEqual(factors, [1, 1, 1, 4, 4, 4 * 1.05])
          assert.deepStrictEqual(yield* repo.actions("NVDA.US"), [
            { exDate: day(3), kind: "split", factor: 4 },
            { exDate: day(5), kind: "dividend", factor: 1.05 }
          ])
        }))

      it.effect("stores the whole simulated universe and reads it back unchanged", () =>
        Effect.gen(function*() {
          const repo = yield* InstrumentRepo
          const universe = simulatedUniverse()
          assert.strictEqual(yield* repo.upsert(universe, "simulated"), universe.length)
          assert.strictEqual(yield* repo.upsert(universe, "simulated"), 0)
          const renamed: Instrument = { ...universe[0]!, name: "Renamed Co." }
          assert.strictEqual(yield* repo.upsert([renamed], "simulated"), 1)
          const all = yield* repo.all
          assert.strictEqual(all.length, universe.length)
          assert.deepStrictEqual(all[0], renamed)
          assert.deepStrictEqual(all.slice(1), universe.slice(1))
        }))
    })
  })
}
