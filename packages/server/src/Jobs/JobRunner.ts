import { Cause, Clock, Context, Deferred, Effect, Exit, FiberSet, Layer, Option } from "effect"
import * as Os from "node:os"
import * as Prom from "prom-client"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"
import { IngestRunRepo, type RunStatus } from "../Store/IngestRunRepo.ts"
import type { StoreError } from "../Store/StoreError.ts"
import { JobLock } from "./JobLock.ts"
import type { Counts, JobResult } from "./JobResult.ts"

export interface JobSpec {
  /** `daily_sync`, `backfill`, `integrity`, `retention` … one run of a kind at a time. */
  readonly kind: string
  /** `schedule`, `startup`, `api`, `cli`. */
  readonly trigger: string
  readonly params: Readonly<Record<string, unknown>>
}

export interface JobContext {
  readonly runId: number
  /** Saves progress so far in the run's row (GET /v1/admin/jobs shows it while it runs). */
  readonly progress: (counts: Counts) => Effect.Effect<void>
}

/**
 * `Skipped`: another run of the kind is going (or the job is off);
 * `NotStarted`: the store could not lock or record the run, so it did not run
 * (a job never writes bars that point at a run nobody recorded).
 */
export type JobOutcome =
  | { readonly _tag: "Skipped"; readonly reason: string }
  | { readonly _tag: "NotStarted"; readonly reason: string }
  | {
    readonly _tag: "Finished"
    readonly runId: number
    readonly status: Exclude<RunStatus, "running">
    readonly counts: Counts
    /** Why the job left part of its work undone (its body answered `Incomplete`). */
    readonly shortfall: string | undefined
  }

/** What `start` answers once the run has begun, or why it has not. */
export type StartOutcome =
  | { readonly _tag: "Started"; readonly runId: number }
  | Exclude<JobOutcome, { readonly _tag: "Finished" }>

/** This process, as `ingest_runs.instance` names it. */
export const instanceName = `${Os.hostname()}:${process.pid}`

/**
 * Runs jobs: one run of a kind at a time (JobLock), each recorded in
 * `ingest_runs` from start to end, counted in `job_runs_total` and timed in
 * `job_duration_seconds`. A run interrupted by shutdown is recorded as
 * interrupted; jobs make their batches uninterruptible, so the batch in
 * progress finishes first.
 */
export class JobRunner extends Context.Service<JobRunner, {
  /** Runs the job to its end (or Skipped when a run of that kind is already going). */
  readonly run: <E, R>(spec: JobSpec, body: (ctx: JobContext) => Effect.Effect<JobResult, E, R>) => Effect.Effect<JobOutcome, never, R>
  /** Starts the job in the background and answers once it has started, or why it did not. */
  readonly start: <E, R>(spec: JobSpec, body: (ctx: JobContext) => Effect.Effect<JobResult, E, R>) => Effect.Effect<StartOutcome, never, R>
}>()("@marketgate/server/Jobs/JobRunner") {
  static readonly layer = Layer.effect(
    JobRunner,
    Effect.gen(function*() {
      const lock = yield* JobLock
      const runs = yield* IngestRunRepo
      const { registry } = yield* MetricsRegistry
      const background = yield* FiberSet.make()
      const jobRuns = new Prom.Counter({
        name: "job_runs_total",
        help: "Job runs by outcome (succeeded, failed, interrupted, skipped)",
        labelNames: ["job", "outcome"],
        registers: [registry]
      })
      const jobDuration = new Prom.Histogram({
        name: "job_duration_seconds",
        help: "Duration of job runs",
        labelNames: ["job"],
        buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
        registers: [registry]
      })

      const execute = <E, R>(
        spec: JobSpec,
        body: (ctx: JobContext) => Effect.Effect<JobResult, E, R>,
        started: (outcome: StartOutcome) => Effect.Effect<void>
      ): Effect.Effect<JobOutcome, never, R> =>
        // Only the body is interruptible: a run that is interrupted (shutdown)
        // is still recorded as such, counted, and its lock released.
        Effect.scoped(Effect.uninterruptibleMask((restore) => Effect.gen(function*() {
          const notStarted = (what: string, error: StoreError) =>
            Effect.gen(function*() {
              const outcome = { _tag: "NotStarted", reason: `${what}: ${error.message}` } as const
              // Counted as failed: a job that could not run alerts like one that failed.
              jobRuns.inc({ job: spec.kind, outcome: "failed" })
              yield* started(outcome)
              yield* Effect.logError(`${spec.kind} not started: ${outcome.reason}`)
              return outcome
            })
          const held = yield* Effect.result(lock.acquire(spec.kind))
          if (held._tag === "Failure") return yield* notStarted("the job lock could not be taken", held.failure)
          if (Option.isNone(held.success)) {
            jobRuns.inc({ job: spec.kind, outcome: "skipped" })
            const outcome = { _tag: "Skipped", reason: `a ${spec.kind} run is already going` } as const
            yield* started(outcome)
            yield* Effect.logInfo(`${spec.kind} is already running; not starting another run`)
            return outcome
          }
          const abandoned = yield* runs.abandon(spec.kind).pipe(Effect.orElseSucceed(() => 0))
          if (abandoned > 0) {
            yield* Effect.logWarning(`${abandoned} earlier ${spec.kind} run(s) never finished; recorded as interrupted`)
          }
          const recorded = yield* Effect.result(runs.start({ ...spec, instance: instanceName }))
          if (recorded._tag === "Failure") return yield* notStarted("the run could not be recorded", recorded.failure)
          const runId = recorded.success
          yield* started({ _tag: "Started", runId })
          const begin = yield* Clock.currentTimeMillis
          let last: Counts = {}
          const progress = (counts: Counts) => {
            last = counts
            return Effect.ignore(runs.update(runId, counts))
          }
          // A job is a trace of its own (it outlives the request or tick that
          // started it), linked to whatever started it.
          const origin = yield* Effect.option(Effect.currentParentSpan)
          const exit = yield* Effect.exit(restore(
            body({ runId, progress }).pipe(
              Effect.annotateLogs({ job: spec.kind, run_id: runId }),
              Effect.withSpan(`job.${spec.kind}`, {
                root: true,
                links: Option.isSome(origin) ? [{ span: origin.value, attributes: { "link.reason": "started by" } }] : [],
                attributes: { "job.kind": spec.kind, "job.run_id": runId, "job.trigger": spec.trigger }
              })
            )
          ))
          const counts = Exit.isSuccess(exit) ? exit.value.counts : last
          const shortfall = Exit.isSuccess(exit) && exit.value._tag === "Incomplete" ? exit.value.reason : undefined
          const status: Exclude<RunStatus, "running"> = Exit.isSuccess(exit)
            ? (shortfall === undefined ? "succeeded" : "failed")
            : Cause.hasInterruptsOnly(exit.cause)
            ? "interrupted"
            : "failed"
          const error = Exit.isFailure(exit)
            ? (status === "failed" ? Cause.pretty(exit.cause).slice(0, 4000) : undefined)
            : shortfall
          const seconds = ((yield* Clock.currentTimeMillis) - begin) / 1000
          yield* runs.finish(runId, { status, counts, error }).pipe(Effect.ignore)
          jobRuns.inc({ job: spec.kind, outcome: status })
          jobDuration.observe({ job: spec.kind }, seconds)
          const log = status === "failed" ? Effect.logError : status === "interrupted" ? Effect.logWarning : Effect.logInfo
          yield* log(`${spec.kind} ${status}`).pipe(
            Effect.annotateLogs({ job: spec.kind, run_id: runId, trigger: spec.trigger, duration_s: Math.round(seconds * 10) / 10, ...counts })
          )
          return { _tag: "Finished", runId, status, counts, shortfall } as const
        })))

      return JobRunner.of({
        run: (spec, body) => execute(spec, body, () => Effect.void),
        start: (spec, body) =>
          Effect.gen(function*() {
            const started = yield* Deferred.make<StartOutcome>()
            yield* FiberSet.run(background, execute(spec, body, (outcome) => Deferred.succeed(started, outcome).pipe(Effect.asVoid)))
            return yield* Deferred.await(started)
          })
      })
    })
  )
}
