import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { DailyBarRepo, type DailyBarRow } from "../../src/Store/DailyBarRepo.ts"
import { IngestRunRepo } from "../../src/Store/IngestRunRepo.ts"
import { type IntradayRow, IntradayRepo } from "../../src/Store/IntradayRepo.ts"
import { QuarantineRepo } from "../../src/Store/QuarantineRepo.ts"
import { freshPglite, freshPostgres } from "../support/TestDatabase.ts"

// The job-side tables (runs, quarantine, intraday partitions, lineage) on
// both backends: the embedded default and a real PostgreSQL server.
const backends = [
  ["PGlite (embedded)", freshPglite],
  ["PostgreSQL", freshPostgres]
] as const

const daily = (symbol: string, date: string, overrides: Partial<DailyBarRow> = {}): DailyBarRow => ({
  symbol,
  date,
  open: 10,
  high: 11,
  low: 9.5,
  close: 10.5,
  volume: 1_000,
  amount: 10_500,
  adjFactor: 1,
  suspended: false,
  source: "eastmoney",
  fetchedAt: Date.UTC(2026, 0, 5, 8),
  ingestRunId: null,
  checks: ["ohlc", "daily_limit"],
  ...overrides
})

const minute = (symbol: string, iso: string, close = 10.5): IntradayRow => ({
  symbol,
  interval: "1m",
  ts: Date.parse(iso),
  date: iso.slice(0, 10),
  open: 10,
  high: Math.max(11, close),
  low: 9.5,
  close,
  volume: 100,
  amount: 1_050,
  source: "simulated",
  fetchedAt: Date.UTC(2026, 0, 5),
  ingestRunId: null
})

const tableNames = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ name: string }>`SELECT tablename AS name FROM pg_tables WHERE tablename LIKE 'bars_intraday_%' ORDER BY 1`
  return rows.map((r) => r.name)
})

for (const [name, database] of backends) {
  describe(name, () => {
    layer(
      Layer.mergeAll(DailyBarRepo.layer, IngestRunRepo.layer, QuarantineRepo.layer, IntradayRepo.layer).pipe(
        Layer.provideMerge(database())
      ),
      { timeout: "60 seconds" }
    )("job stores", (it) => {
      it.effect("ingest_runs: a run is recorded from start to end, listed latest first, filtered by kind", () =>
        Effect.gen(function*() {
          const runs = yield* IngestRunRepo
          const a = yield* runs.start({ kind: "backfill", trigger: "api", params: { from: "2024-01-01" }, instance: "h:1" })
          const b = yield* runs.start({ kind: "retention", trigger: "schedule", params: {}, instance: "h:1" })
          yield* runs.update(a, { done: 50, symbols: 100 })
          const running = yield* runs.get(a)
          assert.strictEqual(running?.status, "running")
          assert.strictEqual(running?.finishedAt, null)
          assert.deepStrictEqual(running?.counts, { done: 50, symbols: 100 })
          yield* runs.finish(a, { status: "succeeded", counts: { done: 100, symbols: 100 } })
          yield* runs.finish(b, { status: "failed", counts: {}, error: "store unreachable" })
          const done = yield* runs.get(a)
          assert.strictEqual(done?.status, "succeeded")
          assert.isNotNull(done?.finishedAt)
          assert.isTrue(done!.finishedAt! >= done!.startedAt)
          assert.deepStrictEqual(done?.params, { from: "2024-01-01" })
          const all = yield* runs.list({ limit: 10 })
          assert.deepStrictEqual(all.map((r) => r.id), [b, a])
          const onlyBackfill = yield* runs.list({ kind: "backfill", limit: 10 })
          assert.deepStrictEqual(onlyBackfill.map((r) => r.id), [a])
          assert.strictEqual((yield* runs.get(b))?.error, "store unreachable")
          assert.isUndefined(yield* runs.get(999_999))
        }))

      it.effect("ingest_runs: runs left running by a dead instance are marked interrupted, only of that kind", () =>
        Effect.gen(function*() {
          const runs = yield* IngestRunRepo
          const orphan = yield* runs.start({ kind: "daily_sync:CN", trigger: "schedule", params: {}, instance: "dead:9" })
          const other = yield* runs.start({ kind: "daily_sync:US", trigger: "schedule", params: {}, instance: "h:1" })
          assert.strictEqual(yield* runs.abandon("daily_sync:CN"), 1)
          assert.strictEqual(yield* runs.abandon("daily_sync:CN"), 0)
          const marked = yield* runs.get(orphan)
          assert.strictEqual(marked?.status, "interrupted")
          assert.match(marked?.error ?? "", /stopped without recording an end/)
          assert.strictEqual((yield* runs.get(other))?.status, "running")
        }))

      it.effect("quality_quarantine keeps each rejected version with its rule and raw payload", () =>
        Effect.gen(function*() {
          const quarantine = yield* QuarantineRepo
          const payload = { date: "2026-01-05", open: 10, high: 9, low: 8, close: 9.5, volume: 100, amount: 950 }
          yield* quarantine.add([
            { symbol: "600519.SH", date: "2026-01-05", source: "sina", rule: "ohlc", detail: "high is below open or close", payload, ingestRunId: null },
            { symbol: "600519.SH", date: "2026-01-05", source: "tencent", rule: "daily_limit", detail: "+25 % beyond ±10 %", payload: { close: 99 }, ingestRunId: null },
            { symbol: "600519.SH", date: "2026-01-06", source: "sina", rule: "ohlc", detail: "x", payload: {}, ingestRunId: null }
          ])
          const found = yield* quarantine.forBar("600519.SH", "2026-01-05")
          assert.deepStrictEqual(found.map((q) => [q.source, q.rule]).sort(), [["sina", "ohlc"], ["tencent", "daily_limit"]])
          assert.deepStrictEqual(found.find((q) => q.source === "sina")?.payload, payload)
          assert.deepStrictEqual(yield* quarantine.forBar("600519.SH", "2026-01-07"), [])
          // The same bad bar sent again (the session is asked again until a good one comes) is kept once;
          // another version of it from the same provider is kept beside it.
          yield* quarantine.add([
            { symbol: "600519.SH", date: "2026-01-05", source: "sina", rule: "ohlc", detail: "high is below open or close", payload, ingestRunId: null },
            { symbol: "600519.SH", date: "2026-01-05", source: "sina", rule: "ohlc", detail: "high is below open or close", payload: { ...payload, high: 9.1 }, ingestRunId: null }
          ])
          const again = yield* quarantine.forBar("600519.SH", "2026-01-05")
          assert.deepStrictEqual(again.map((q) => [q.source, q.rule, (q.payload as { high?: number }).high]), [
            ["sina", "ohlc", 9],
            ["tencent", "daily_limit", undefined],
            ["sina", "ohlc", 9.1]
          ])
        }))

      it.effect("bars_daily: lineage, the symbols held (loose index scan) and retention by date", () =>
        Effect.gen(function*() {
          const repo = yield* DailyBarRepo
          const runs = yield* IngestRunRepo
          const run = yield* runs.start({ kind: "backfill", trigger: "cli", params: {}, instance: "h:1" })
          yield* repo.upsert([
            daily("000001.SZ", "2026-01-05", { ingestRunId: run }),
            daily("000001.SZ", "2026-01-06"),
            daily("AAPL.US", "2025-06-02", { source: "yahoo" }),
            daily("600519.SH", "2026-01-05", { suspended: true, volume: 0, amount: 0, source: "calendar", checks: [] })
          ])
          const lineage = yield* repo.lineage("000001.SZ", "2026-01-05")
          assert.isTrue(Option.isSome(lineage))
          const l = Option.getOrThrow(lineage)
          assert.strictEqual(l.source, "eastmoney")
          assert.strictEqual(l.ingestRunId, run)
          assert.strictEqual(l.fetchedAt, "2026-01-05T08:00:00.000Z")
          assert.deepStrictEqual(l.checks, ["ohlc", "daily_limit"])
          assert.strictEqual(l.bar.close, 10.5)
          assert.isTrue(Option.isNone(yield* repo.lineage("000001.SZ", "2026-01-07")))
          assert.deepStrictEqual(yield* repo.symbols, ["000001.SZ", "600519.SH", "AAPL.US"])
          assert.strictEqual(yield* repo.deleteBefore("2026-01-01"), 1)
          assert.deepStrictEqual(yield* repo.symbols, ["000001.SZ", "600519.SH"])
        }))

      it.effect("bars_intraday: partitions per month on first write, idempotent upsert, range, tracked pairs", () =>
        Effect.gen(function*() {
          const repo = yield* IntradayRepo
          const rows = [
            minute("600519.SH", "2026-01-30T01:30:00.000Z"),
            minute("600519.SH", "2026-01-30T01:31:00.000Z"),
            minute("600519.SH", "2026-02-02T01:30:00.000Z"),
            minute("AAPL.US", "2026-02-02T14:30:00.000Z")
          ]
          assert.strictEqual(yield* repo.upsert(rows), 4)
          assert.strictEqual(yield* repo.upsert(rows), 0)
          assert.strictEqual(yield* repo.upsert([minute("600519.SH", "2026-01-30T01:31:00.000Z", 12)]), 1)
          assert.deepStrictEqual(yield* tableNames, ["bars_intraday_y2026m01", "bars_intraday_y2026m02"])
          const jan = yield* repo.range("600519.SH", "1m", Date.UTC(2026, 0, 30), Date.UTC(2026, 0, 31))
          assert.deepStrictEqual(jan.map((b) => [new Date(b.ts).toISOString(), b.close]), [
            ["2026-01-30T01:30:00.000Z", 10.5],
            ["2026-01-30T01:31:00.000Z", 12]
          ])
          assert.strictEqual(jan[0]!.date, "2026-01-30")
          assert.deepStrictEqual(yield* repo.tracked(Date.UTC(2026, 1, 1)), [
            { symbol: "600519.SH", interval: "1m" },
            { symbol: "AAPL.US", interval: "1m" }
          ])
        }))

      it.effect("retention drops whole month partitions that ended before the cut-off, and nothing newer", () =>
        Effect.gen(function*() {
          const repo = yield* IntradayRepo
          yield* repo.upsert([
            minute("000001.SZ", "2025-10-15T02:00:00.000Z"),
            minute("000001.SZ", "2025-11-14T02:00:00.000Z"),
            minute("000001.SZ", "2025-12-01T02:00:00.000Z")
          ])
          // November ends on 2025-12-01: a cut-off inside December keeps December and later.
          const dropped = yield* repo.dropBefore(Date.UTC(2025, 11, 15))
          assert.deepStrictEqual([...dropped].sort(), ["bars_intraday_y2025m10", "bars_intraday_y2025m11"])
          const left = yield* tableNames
          assert.isFalse(left.includes("bars_intraday_y2025m10"))
          assert.isTrue(left.includes("bars_intraday_y2025m12"))
          assert.strictEqual((yield* repo.range("000001.SZ", "1m", Date.UTC(2025, 9, 1), Date.UTC(2026, 0, 1))).length, 1)
          assert.deepStrictEqual(yield* repo.dropBefore(Date.UTC(2025, 11, 15)), [])
        }))
    })
  })
}
