import { assert, describe, it, layer } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Layer, Option, Scope } from "effect"
import { JobLock } from "../../src/Jobs/JobLock.ts"
import * as JobResult from "../../src/Jobs/JobResult.ts"
import { JobRunner } from "../../src/Jobs/JobRunner.ts"
import { MetricsRegistry } from "../../src/Observability/MetricsRegistry.ts"
import { IngestRunRepo } from "../../src/Store/IngestRunRepo.ts"
import { StoreError } from "../../src/Store/StoreError.ts"
import { freshPglite, freshPostgres } from "../support/TestDatabase.ts"

// One run of a job kind at a time — across connections (instances) on
// PostgreSQL through advisory locks, in process on the embedded database —
// and every run recorded in ingest_runs from start to end, whatever its end.

const backends = [
  ["PostgreSQL (advisory locks)", freshPostgres],
  ["PGlite (in-process lock)", freshPglite]
] as const

const metric = (name: string, labels: Record<string, string>) =>
  Effect.gen(function*() {
    const { registry } = yield* MetricsRegistry
    const m = registry.getSingleMetric(name)
    if (m === undefined) return 0
    const got = yield* Effect.promise(async () => await m.get())
    return got.values
      .filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x))
      .reduce((sum, v) => sum + v.value, 0)
  })

/** Every run call succeeds except those named, which fail as an unreachable store would. */
const runsFailing = (failing: ReadonlyArray<"start" | "lock">) =>
  Layer.mergeAll(
    Layer.succeed(IngestRunRepo, IngestRunRepo.of({
      start: () => failing.includes("start") ? Effect.fail(new StoreError({ operation: "ingest_runs.start", cause: new Error("connection refused") })) : Effect.succeed(7),
      update: () => Effect.void,
      finish: () => Effect.void,
      abandon: () => Effect.succeed(0),
      get: () => Effect.succeed(undefined),
      list: () => Effect.succeed([])
    })),
    failing.includes("lock")
      ? Layer.succeed(JobLock, JobLock.of({ acquire: () => Effect.fail(new StoreError({ operation: "jobs.lock", cause: new Error("connection refused") })) }))
      : JobLock.layerLocal,
    MetricsRegistry.layerTest
  )

describe("a store that cannot lock or record a run", () => {
  for (const failing of [["start"], ["lock"]] as const) {
    it.effect(`the job does not run and says why (${failing[0]} fails), never with a made-up run id`, () =>
      Effect.gen(function*() {
        const runner = yield* JobRunner
        let ran = false
        const outcome = yield* runner.run({ kind: "backfill", trigger: "api", params: {} }, () => Effect.sync(() => { ran = true; return JobResult.complete({}) }))
        assert.strictEqual(outcome._tag, "NotStarted")
        assert.isFalse(ran)
        assert.include(outcome._tag === "NotStarted" ? outcome.reason : "", "connection refused")
        const started = yield* runner.start({ kind: "backfill", trigger: "api", params: {} }, () => Effect.succeed(JobResult.complete({})))
        // Not "Skipped": nobody else is running it, the store is down.
        assert.strictEqual(started._tag, "NotStarted")
        assert.strictEqual(yield* metric("job_runs_total", { job: "backfill", outcome: "failed" }), 2)
      }).pipe(Effect.provide(JobRunner.layer.pipe(Layer.provideMerge(runsFailing(failing))))))
  }
})

for (const [name, database] of backends) {
  describe(name, () => {
    layer(
      JobRunner.layer.pipe(
        Layer.provideMerge(Layer.mergeAll(JobLock.layer, IngestRunRepo.layer, MetricsRegistry.layerTest)),
        Layer.provideMerge(database())
      ),
      { timeout: "60 seconds" }
    )("jobs", (it) => {
      it.effect("a lock is held by one holder at a time, per kind, and released with its scope", () =>
        Effect.gen(function*() {
          const lock = yield* JobLock
          const first = yield* Scope.make()
          assert.isTrue(Option.isSome(yield* lock.acquire("backfill").pipe(Scope.provide(first))))
          // Another holder (on PostgreSQL: another connection, as another instance would be) is refused.
          assert.isTrue(Option.isNone(yield* Effect.scoped(lock.acquire("backfill"))))
          // Another kind is independent.
          assert.isTrue(Option.isSome(yield* Effect.scoped(lock.acquire("retention"))))
          yield* Scope.close(first, Exit.void)
          assert.isTrue(Option.isSome(yield* Effect.scoped(lock.acquire("backfill"))))
        }))

      it.effect("a run is recorded from running to succeeded with its counts; a second run meanwhile is skipped", () =>
        Effect.gen(function*() {
          const runner = yield* JobRunner
          const runs = yield* IngestRunRepo
          const gate = yield* Deferred.make<void>()
          const started = yield* Deferred.make<number>()
          const first = yield* Effect.forkChild(runner.run({ kind: "daily_sync:CN", trigger: "schedule", params: { sessions: 5 } }, (ctx) =>
            Effect.gen(function*() {
              yield* ctx.progress({ done: 1 })
              yield* Deferred.succeed(started, ctx.runId)
              yield* Deferred.await(gate)
              return JobResult.complete({ done: 2, written: 480 })
            })))
          const runId = yield* Deferred.await(started)
          const running = yield* runs.get(runId)
          assert.strictEqual(running?.status, "running")
          assert.deepStrictEqual(running?.counts, { done: 1 })
          const second = yield* runner.run({ kind: "daily_sync:CN", trigger: "api", params: {} }, () => Effect.succeed(JobResult.complete({})))
          assert.strictEqual(second._tag, "Skipped")
          yield* Deferred.succeed(gate, undefined)
          const outcome = yield* Fiber.join(first)
          assert.deepStrictEqual(outcome, { _tag: "Finished", runId, status: "succeeded", counts: { done: 2, written: 480 }, shortfall: undefined })
          const done = yield* runs.get(runId)
          assert.strictEqual(done?.status, "succeeded")
          assert.deepStrictEqual(done?.counts, { done: 2, written: 480 })
          assert.deepStrictEqual(done?.params, { sessions: 5 })
          assert.strictEqual(yield* metric("job_runs_total", { job: "daily_sync:CN", outcome: "succeeded" }), 1)
          assert.strictEqual(yield* metric("job_runs_total", { job: "daily_sync:CN", outcome: "skipped" }), 1)
          // Nothing is left holding the lock.
          const again = yield* runner.run({ kind: "daily_sync:CN", trigger: "api", params: {} }, () => Effect.succeed(JobResult.complete({ done: 0 })))
          assert.strictEqual(again._tag, "Finished")
        }))

      it.effect("a failing run is recorded failed with its error and the progress it had made", () =>
        Effect.gen(function*() {
          const runner = yield* JobRunner
          const runs = yield* IngestRunRepo
          const outcome = yield* runner.run({ kind: "retention", trigger: "cli", params: {} }, (ctx) =>
            ctx.progress({ partitions_dropped: 1 }).pipe(Effect.andThen(Effect.fail(new Error("permission denied for table bars_intraday")))))
          assert.strictEqual(outcome._tag, "Finished")
          if (outcome._tag !== "Finished") return
          assert.strictEqual(outcome.status, "failed")
          const row = yield* runs.get(outcome.runId)
          assert.strictEqual(row?.status, "failed")
          assert.match(row?.error ?? "", /permission denied for table bars_intraday/)
          assert.deepStrictEqual(row?.counts, { partitions_dropped: 1 })
          assert.strictEqual(yield* metric("job_runs_total", { job: "retention", outcome: "failed" }), 1)
        }))

      it.effect("a run that leaves symbols unfilled (an Incomplete result) is recorded failed, with what it did fill", () =>
        Effect.gen(function*() {
          const runner = yield* JobRunner
          const runs = yield* IngestRunRepo
          const outcome = yield* runner.run({ kind: "backfill", trigger: "cli", params: {} }, () =>
            Effect.succeed(JobResult.ofSymbols({ symbols: 4, done: 4, failed: 1, written: 720 })))
          assert.strictEqual(outcome._tag, "Finished")
          if (outcome._tag !== "Finished") return
          assert.strictEqual(outcome.status, "failed")
          assert.match(outcome.shortfall ?? "", /1 of 4 symbols could not be filled/)
          const row = yield* runs.get(outcome.runId)
          assert.strictEqual(row?.status, "failed")
          assert.match(row?.error ?? "", /1 of 4 symbols could not be filled/)
          assert.deepStrictEqual(row?.counts, { symbols: 4, done: 4, failed: 1, written: 720 })
          assert.strictEqual(yield* metric("job_runs_total", { job: "backfill", outcome: "failed" }), 1)
        }))

      it.effect("an interrupted run (shutdown) is recorded interrupted and its lock released", () =>
        Effect.gen(function*() {
          const runner = yield* JobRunner
          const runs = yield* IngestRunRepo
          const started = yield* Deferred.make<number>()
          const fiber = yield* Effect.forkChild(runner.run({ kind: "backfill", trigger: "api", params: {} }, (ctx) =>
            Effect.gen(function*() {
              yield* ctx.progress({ done: 50 })
              yield* Deferred.succeed(started, ctx.runId)
              return yield* Effect.never
            })))
          const runId = yield* Deferred.await(started)
          yield* Fiber.interrupt(fiber)
          const row = yield* runs.get(runId)
          assert.strictEqual(row?.status, "interrupted")
          assert.isNotNull(row?.finishedAt)
          assert.deepStrictEqual(row?.counts, { done: 50 })
          const next = yield* runner.run({ kind: "backfill", trigger: "api", params: {} }, () => Effect.succeed(JobResult.complete({})))
          assert.strictEqual(next._tag, "Finished")
        }))

      it.effect("start answers the run id once running, or Skipped while a run of the kind is going", () =>
        Effect.gen(function*() {
          const runner = yield* JobRunner
          const runs = yield* IngestRunRepo
          const gate = yield* Deferred.make<void>()
          const started = yield* runner.start({ kind: "integrity", trigger: "startup", params: {} }, () =>
            Deferred.await(gate).pipe(Effect.as(JobResult.complete({ written: 3 }))))
          assert.strictEqual(started._tag, "Started")
          const second = yield* runner.start({ kind: "integrity", trigger: "api", params: {} }, () => Effect.succeed(JobResult.complete({})))
          assert.strictEqual(second._tag, "Skipped")
          yield* Deferred.succeed(gate, undefined)
          const runId = started._tag === "Started" ? started.runId : -1
          const finished = yield* runs.get(runId).pipe(
            Effect.filterOrFail((r) => r?.status === "succeeded", () => new Error("not finished yet")),
            // Each poll is a database round trip, so the background run progresses meanwhile (the TestClock stands still).
            Effect.retry({ times: 5_000 })
          )
          assert.deepStrictEqual(finished?.counts, { written: 3 })
        }))
    })
  })
}
