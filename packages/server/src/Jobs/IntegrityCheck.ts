import { fromDayNumber } from "@marketgate/domain/CalendarDate"
import { Clock, Config, Context, Effect, Layer, Schema } from "effect"
import { TradingCalendars } from "../Calendar/TradingCalendars.ts"
import { Backfill } from "./Backfill.ts"
import * as JobResult from "./JobResult.ts"
import { type JobOutcome, JobRunner } from "./JobRunner.ts"
import { TrackedInstruments } from "./TrackedInstruments.ts"

/** Trading sessions, 1 … 3650 (about 15 years). */
const WindowDays = Schema.NumberFromString.pipe(Schema.decodeTo(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 3650 }))))

export interface IntegrityOptions {
  /** Trading sessions back from the last completed one. */
  readonly windowDays: number
}

/**
 * Finds the sessions of the last `windowDays` trading days that a tracked
 * symbol has no stored bar for, and backfills exactly those: DailyHistory
 * reads what is stored and asks providers only for the gaps, so nothing
 * stored is fetched again.
 */
export class IntegrityCheck extends Context.Service<IntegrityCheck, {
  readonly run: (trigger: string) => Effect.Effect<JobOutcome>
}>()("@marketgate/server/Jobs/IntegrityCheck") {
  static readonly layer = (options: IntegrityOptions) =>
    Layer.effect(
      IntegrityCheck,
      Effect.gen(function*() {
        const runner = yield* JobRunner
        const backfill = yield* Backfill
        const tracked = yield* TrackedInstruments
        const calendars = yield* TradingCalendars
        const run = (trigger: string) =>
          runner.run({ kind: "integrity", trigger, params: { window_days: options.windowDays } }, (ctx) =>
            Effect.gen(function*() {
              const instruments = yield* tracked.list()
              const now = yield* Clock.currentTimeMillis
              return JobResult.ofSymbols(yield* backfill.fill(instruments, (instrument) => {
                const calendar = calendars.of(instrument.exchange)
                const last = calendar.lastCompletedSession(now)
                if (last === undefined) return undefined
                return { from: fromDayNumber(calendar.sessionsBefore(last, options.windowDays - 1)), to: fromDayNumber(last) }
              }, ctx))
            }))
        return IntegrityCheck.of({ run })
      })
    )

  /** `INTEGRITY_WINDOW_DAYS` (default 30). */
  static readonly layerConfig = Layer.unwrap(
    Effect.gen(function*() {
      const windowDays = yield* Config.schema(WindowDays, "INTEGRITY_WINDOW_DAYS").pipe(Config.withDefault(30))
      return IntegrityCheck.layer({ windowDays })
    })
  )
}

/**
 * Runs the integrity check once at start-up, in the background (readiness
 * never waits for it), unless `SKIP_INTEGRITY_CHECK=1` (or the
 * `--skip-integrity-check` flag, which sets it).
 */
export const layerStartup = Layer.effectDiscard(
  Effect.gen(function*() {
    const skip = yield* Config.Boolean("SKIP_INTEGRITY_CHECK").pipe(Config.withDefault(false))
    const check = yield* IntegrityCheck
    if (skip) {
      yield* Effect.logInfo("integrity check skipped (SKIP_INTEGRITY_CHECK)")
      return
    }
    yield* Effect.forkScoped(check.run("startup"))
  })
)
