import { Cause, Clock, Context, Cron, Effect, Layer, Result, Schedule } from "effect"

/** A job run on a cron schedule, in a time zone. */
export interface ScheduledJob {
  readonly name: string
  /** Five-field cron expression, read in `timeZone`. */
  readonly expression: string
  readonly timeZone: string
  readonly run: Effect.Effect<unknown>
}

export interface ScheduleEntry {
  readonly name: string
  readonly cron: string
  readonly timeZone: string
  /** ISO instant of the next run. */
  readonly nextRun: string
}

/**
 * Runs jobs on their cron schedules for as long as the app runs. Each job is
 * one fiber that sleeps until the next occurrence (Clock-based, so tests
 * drive it with TestClock), runs, and sleeps again; a run that fails is
 * logged and the schedule goes on. Shutdown interrupts the sleeps; a running
 * job finishes its current batch first (jobs make batches uninterruptible).
 */
export class Scheduler extends Context.Service<Scheduler, {
  readonly entries: Effect.Effect<ReadonlyArray<ScheduleEntry>>
}>()("@marketgate/server/Jobs/Scheduler") {
  static readonly layer = (jobs: ReadonlyArray<ScheduledJob>) =>
    Layer.effect(
      Scheduler,
      Effect.gen(function*() {
        // The expressions are declared in code: a bad one is a defect, found at start-up.
        const parsed = yield* Effect.sync(() =>
          jobs.map((job) => {
            const cron = Cron.parse(job.expression, job.timeZone)
            if (Result.isFailure(cron)) throw new Error(`schedule of ${job.name} is not valid: ${cron.failure.message}`)
            return { job, cron: cron.success }
          })
        )
        for (const { cron, job } of parsed) {
          const once = job.run.pipe(
            Effect.catchCause((cause) =>
              Cause.hasInterruptsOnly(cause)
                ? Effect.interrupt
                : Effect.logError(`scheduled ${job.name} failed`, cause)
            ),
            Effect.annotateLogs({ schedule: job.name })
          )
          yield* Effect.forkScoped(Effect.schedule(once, Schedule.cron(cron)))
        }
        return Scheduler.of({
          entries: Effect.map(Clock.currentTimeMillis, (now) =>
            parsed.map(({ cron, job }) => ({
              name: job.name,
              cron: job.expression,
              timeZone: job.timeZone,
              nextRun: Cron.next(cron, new Date(now)).toISOString()
            })))
        })
      })
    )

  /** No scheduled jobs (SCHEDULER_ENABLED=false, and tests). */
  static readonly layerNone = Scheduler.layer([])
}
