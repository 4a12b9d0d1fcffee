import { fromDayNumber } from "@marketgate/domain/CalendarDate"
import { Clock, Config, Context, Duration, Effect, Layer, Option } from "effect"
import { DailyBarRepo } from "../Store/DailyBarRepo.ts"
import { IntradayRepo } from "../Store/IntradayRepo.ts"
import * as JobResult from "./JobResult.ts"
import { type JobOutcome, JobRunner } from "./JobRunner.ts"

export interface RetentionOptions {
  /** Intraday bars older than this go, a whole month partition at a time. */
  readonly intraday: Duration.Duration
  /** Daily bars older than this go; none means kept forever. */
  readonly daily: Option.Option<Duration.Duration>
}

const DAY_MS = 86_400_000

/** Nightly: drops intraday partitions past their retention (and daily bars, if a retention is set for them). */
export class Retention extends Context.Service<Retention, {
  readonly run: (trigger: string) => Effect.Effect<JobOutcome>
}>()("@marketgate/server/Jobs/Retention") {
  static readonly layer = (options: RetentionOptions) =>
    Layer.effect(
      Retention,
      Effect.gen(function*() {
        const runner = yield* JobRunner
        const intraday = yield* IntradayRepo
        const daily = yield* DailyBarRepo
        const run = (trigger: string) =>
          runner.run({
            kind: "retention",
            trigger,
            params: {
              intraday_days: Duration.toDays(options.intraday),
              daily_days: Option.match(options.daily, { onNone: () => null, onSome: Duration.toDays })
            }
          }, () =>
            Effect.gen(function*() {
              const now = yield* Clock.currentTimeMillis
              const dropped = yield* intraday.dropBefore(now - Duration.toMillis(options.intraday))
              if (dropped.length > 0) {
                yield* Effect.logInfo("dropped intraday partitions past retention").pipe(
                  Effect.annotateLogs({ partitions: dropped.join(",") })
                )
              }
              let dailyDeleted = 0
              if (Option.isSome(options.daily)) {
                const cutoff = fromDayNumber(Math.floor((now - Duration.toMillis(options.daily.value)) / DAY_MS))
                dailyDeleted = yield* daily.deleteBefore(cutoff)
              }
              return JobResult.complete({ partitions_dropped: dropped.length, daily_deleted: dailyDeleted })
            }))
        return Retention.of({ run })
      })
    )

  /** `INTRADAY_RETENTION` (default 365 days) and `DAILY_RETENTION` (default: forever). */
  static readonly layerConfig = Layer.unwrap(
    Effect.gen(function*() {
      const intraday = yield* Config.Duration("INTRADAY_RETENTION").pipe(Config.withDefault(Duration.days(365)))
      const daily = yield* Config.option(Config.Duration("DAILY_RETENTION"))
      return Retention.layer({ intraday, daily })
    })
  )
}
