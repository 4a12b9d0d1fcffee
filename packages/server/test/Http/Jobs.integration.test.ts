import { assert, describe, layer } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { freshPostgres } from "../support/TestDatabase.ts"
import { getJson, type JsonAnswer, postJson, testApp } from "../support/TestApp.ts"

// The operator endpoints over the real server and a real PostgreSQL store:
// start a backfill (202), refuse a second one while it runs (409), follow it
// in GET /v1/admin/jobs, then ask where a stored bar came from.

const expectError = (answer: JsonAnswer, status: number, msg: RegExp) => {
  assert.strictEqual(answer.status, status, JSON.stringify(answer.body))
  assert.strictEqual(answer.body.code, status)
  assert.isNull(answer.body.data)
  assert.match(answer.body.msg, msg)
}

/** Polls the jobs endpoint until run `id` has ended (bounded). */
const finishedRun = (id: number) =>
  getJson("/v1/admin/jobs?kind=backfill&limit=10").pipe(
    Effect.map((answer) => answer.body.data.runs.find((r: { id: number }) => r.id === id)),
    Effect.filterOrFail((run) => run !== undefined && run.status !== "running", () => new Error(`run ${id} still running`)),
    Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 300 })
  )

describe("operator endpoints", () => {
  layer(testApp(freshPostgres()), { timeout: "90 seconds", excludeTestServices: true })("jobs, backfill, lineage", (it) => {
    it.effect("bad backfill requests are 400s that say what to fix", () =>
      Effect.gen(function*() {
        expectError(yield* postJson("/v1/admin/backfill", { from: "2024-12-31", to: "2024-01-01" }), 400, /^from must not be after to$/)
        expectError(yield* postJson("/v1/admin/backfill", { from: "2024-13-01", to: "2024-12-31" }), 400, /is not a date: use YYYY-MM-DD/)
        expectError(yield* postJson("/v1/admin/backfill", { from: "1980-01-01", to: "1981-01-01" }), 400, /from must be 1990-01-01 or later/)
        expectError(
          yield* postJson("/v1/admin/backfill", { symbols: ["600519.SH", "999999.SH"], from: "2024-01-01", to: "2024-01-31" }),
          400,
          /^unknown symbols: 999999\.SH; list known symbols with GET \/v1\/instruments\?q=$/
        )
        expectError(yield* postJson("/v1/admin/backfill", { symbols: ["AAPL"], from: "2024-01-01", to: "2024-01-31" }), 400, /not a symbol/)
        expectError(
          yield* postJson("/v1/admin/backfill", { symbols: ["AAPL.US"], from: "2024-01-01", to: "2024-01-31", rate_limit: 0 }),
          400,
          /rate_limit must be a number of symbols per second above 0/
        )
        expectError(yield* postJson("/v1/admin/backfill", { symbols: [], from: "2024-01-01", to: "2024-01-31" }), 400, /symbols must list 1 to/)
        expectError(yield* getJson("/v1/admin/jobs?limit=0"), 400, /limit must be a whole number from 1 to 500/)
        // None of these started anything.
        const jobs = yield* getJson("/v1/admin/jobs")
        assert.deepStrictEqual(jobs.body.data.runs, [])
      }))

    it.effect("a backfill starts in the background (202), a second one meanwhile is a 409, and the run is followed to its end", () =>
      Effect.gen(function*() {
        // Paced at 2 symbols per second, three symbols take about a second: long enough to collide with.
        const started = yield* postJson("/v1/admin/backfill", {
          symbols: ["600519.SH", "000001.SZ", "AAPL.US"],
          from: "2024-01-01",
          to: "2024-12-31",
          rate_limit: 2
        })
        assert.strictEqual(started.status, 202, JSON.stringify(started.body))
        assert.strictEqual(started.body.code, 0)
        const runId: number = started.body.data.run_id
        assert.isAbove(runId, 0)
        expectError(
          yield* postJson("/v1/admin/backfill", { symbols: ["MSFT.US"], from: "2024-01-01", to: "2024-12-31" }),
          409,
          /^a backfill is already running; follow it with GET \/v1\/admin\/jobs\?kind=backfill/
        )
        const run = yield* finishedRun(runId)
        assert.strictEqual(run.status, "succeeded")
        assert.strictEqual(run.kind, "backfill")
        assert.strictEqual(run.trigger, "api")
        assert.deepStrictEqual(run.params, { from: "2024-01-01", to: "2024-12-31", symbols: 3, rate_per_second: 2 })
        // 242 Shanghai/Shenzhen sessions each, 252 New York sessions in 2024.
        assert.strictEqual(run.counts.sessions, 242 + 242 + 252)
        assert.strictEqual(run.counts.written, run.counts.sessions)
        assert.strictEqual(run.counts.failed, 0)
        assert.match(run.started_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
        assert.isTrue(run.finished_at >= run.started_at)
        // Pacing held: three symbols at two per second cannot finish in under half a second.
        assert.isAtLeast(Date.parse(run.finished_at) - Date.parse(run.started_at), 500)

        // Run again: everything is stored, nothing is fetched or written.
        const again = yield* postJson("/v1/admin/backfill", { symbols: ["600519.SH", "000001.SZ", "AAPL.US"], from: "2024-01-01", to: "2024-12-31" })
        assert.strictEqual(again.status, 202)
        const rerun = yield* finishedRun(again.body.data.run_id)
        assert.strictEqual(rerun.counts.fetched, 0)
        assert.strictEqual(rerun.counts.written, 0)
        assert.strictEqual(rerun.counts.sessions, 242 + 242 + 252)

        const jobs = yield* getJson("/v1/admin/jobs?kind=backfill")
        assert.deepStrictEqual(jobs.body.data.runs.map((r: { id: number }) => r.id), [again.body.data.run_id, runId])
        assert.deepStrictEqual(jobs.body.data.schedule, [])
      }))

    it.effect("lineage of a stored bar names its source, fetch time, run and the checks it passed", () =>
      Effect.gen(function*() {
        const jobs = yield* getJson("/v1/admin/jobs?kind=backfill")
        const first = jobs.body.data.runs.at(-1)
        const answer = yield* getJson("/v1/lineage/600519.SH?date=2024-03-01")
        assert.strictEqual(answer.status, 200, JSON.stringify(answer.body))
        const lineage = answer.body.data
        assert.strictEqual(lineage.symbol, "600519.SH")
        assert.strictEqual(lineage.date, "2024-03-01")
        assert.strictEqual(lineage.source, "simulated")
        assert.strictEqual(lineage.ingest_run.id, first.id)
        assert.strictEqual(lineage.ingest_run.kind, "backfill")
        assert.isTrue(lineage.fetched_at >= first.started_at && lineage.fetched_at <= first.finished_at)
        assert.deepStrictEqual(lineage.checks, ["ohlc", "out_of_calendar", "duplicate_date", "zero_volume", "daily_limit", "price_jump", "stale_repeat"])
        assert.deepStrictEqual(lineage.quarantined, [])
        // The bar is the one the API serves.
        const bars = yield* getJson("/v1/bars/600519.SH?from=2024-03-01&to=2024-03-01")
        const served = bars.body.data.bars[0]
        assert.strictEqual(lineage.bar.close, served.close)
        assert.strictEqual(lineage.bar.volume, served.volume)
        assert.strictEqual(lineage.bar.adj_factor, 1)
      }))

    it.effect("lineage answers 404 for a bar that is not stored, and 400/404 for bad input", () =>
      Effect.gen(function*() {
        // A Saturday: no session, no stored bar.
        expectError(yield* getJson("/v1/lineage/600519.SH?date=2024-03-02"), 404, /^no stored bar of 600519\.SH on 2024-03-02/)
        // A session never fetched.
        expectError(yield* getJson("/v1/lineage/MSFT.US?date=2024-03-01"), 404, /only stored daily bars have lineage/)
        expectError(yield* getJson("/v1/lineage/600519.SH"), 400, /date/)
        expectError(yield* getJson("/v1/lineage/600519.SH?date=yesterday"), 400, /is not a date/)
        expectError(yield* getJson("/v1/lineage/999999.SH?date=2024-03-01"), 404, /^unknown symbol '999999\.SH'/)
      }))
  })
})
