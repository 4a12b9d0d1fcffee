import { fromDayNumber } from "@marketgate/domain/CalendarDate"
import type { Market } from "@marketgate/domain/Symbol"
import { Clock, Config, Context, Effect, Layer, Schema } from "effect"
import { TradingCalendars } from "../Calendar/TradingCalendars.ts"
import { Backfill } from "./Backfill.ts"
import * as JobResult from "./JobResult.ts"
import { type JobOutcome, JobRunner } from "./JobRunner.ts"
import { TrackedInstruments } from "./TrackedInstruments.ts"

export interface DailySyncOptions {
  /**
   * Sessions looked at, ending with the one that just closed: a session a
   * provider had not published yet, or a failed day, is picked up next time.
   */
  readonly sessions: number
}

const SessionCount = Schema.NumberFromString.pipe(Schema.decodeTo(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 250 }))))

/**
 * After a market's close: the day's bar of every tracked instrument of that
 * market (and any of the previous few sessions still missing).
 */
export class DailySync extends Context.Service<DailySync, {
  readonly run: (market: Market, trigger: string) => Effect.Effect<JobOutcome>
}>()("@marketgate/server/Jobs/DailySync") {
  static readonly layer = (options: DailySyncOptions) =>
    Layer.effect(
      DailySync,
      Effect.gen(function*() {
        const runner = yield* JobRunner
        const backfill = yield* Backfill
        const tracked = yield* TrackedInstruments
        const calendars = yield* TradingCalendars
        const run = (market: Market, trigger: string) =>
          runner.run({ kind: `daily_sync:${market}`, trigger, params: { market, sessions: options.sessions } }, (ctx) =>
            Effect.gen(function*() {
              const instruments = yield* tracked.list(market)
              const now = yield* Clock.currentTimeMillis
              return JobResult.ofSymbols(yield* backfill.fill(instruments, (instrument) => {
                const calendar = calendars.of(instrument.exchange)
                const last = calendar.lastCompletedSession(now)
                if (last === undefined) return undefined
                return { from: fromDayNumber(calendar.sessionsBefore(last, options.sessions - 1)), to: fromDayNumber(last) }
              }, ctx))
            }))
        return DailySync.of({ run })
      })
    )

  /** `DAILY_SYNC_SESSIONS` (default 5). */
  static readonly layerConfig = Layer.unwrap(
    Effect.map(
      Config.schema(SessionCount, "DAILY_SYNC_SESSIONS").pipe(Config.withDefault(5)),
      (sessions) => DailySync.layer({ sessions })
    )
  )
}
