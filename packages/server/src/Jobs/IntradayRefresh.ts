import type { Market } from "@marketgate/domain/Symbol"
import { Clock, Context, Duration, Effect, Layer, Option } from "effect"
import { TradingCalendars } from "../Calendar/TradingCalendars.ts"
import { InstrumentCatalog } from "../Instruments/InstrumentCatalog.ts"
import { IntradayHistory } from "../MarketData/IntradayHistory.ts"
import { IntradayRepo } from "../Store/IntradayRepo.ts"
import * as JobResult from "./JobResult.ts"
import { type JobOutcome, JobRunner } from "./JobRunner.ts"

/** Pairs with bars stored this recently are kept current. */
const TRACKED_FOR = Duration.days(7)
/** The last refresh of a session may come a little after its close. */
const AFTER_CLOSE = Duration.minutes(10)
const CONCURRENCY = 4

/**
 * During a market's session: today's intraday bars of every tracked
 * (symbol, interval) of that market, fetched and written to `bars_intraday`.
 * Outside a session it does nothing (and records no run).
 */
export class IntradayRefresh extends Context.Service<IntradayRefresh, {
  readonly run: (market: Market, trigger: string) => Effect.Effect<Option.Option<JobOutcome>>
}>()("@marketgate/server/Jobs/IntradayRefresh") {
  static readonly layer = Layer.effect(
    IntradayRefresh,
    Effect.gen(function*() {
      const runner = yield* JobRunner
      const repo = yield* IntradayRepo
      const intraday = yield* IntradayHistory
      const catalog = yield* InstrumentCatalog
      const calendars = yield* TradingCalendars

      const run = (market: Market, trigger: string) =>
        Effect.gen(function*() {
          const calendar = calendars.of(market === "US" ? "US" : "SH")
          const now = yield* Clock.currentTimeMillis
          const today = calendar.localDayAt(now)
          const times = calendar.sessionTimes(today)
          if (times === undefined || now < times.open || now > times.close + Duration.toMillis(AFTER_CLOSE)) {
            return Option.none()
          }
          return Option.some(
            yield* runner.run({ kind: `intraday_refresh:${market}`, trigger, params: { market } }, (ctx) =>
              Effect.gen(function*() {
                const pairs = yield* repo.tracked(now - Duration.toMillis(TRACKED_FOR)).pipe(
                  Effect.orElseSucceed(() => [])
                )
                const counts = { pairs: 0, ok: 0, failed: 0 }
                yield* Effect.forEach(pairs, ({ interval, symbol }) =>
                  Effect.gen(function*() {
                    const instrument = yield* Effect.option(catalog.lookup(symbol))
                    if (Option.isNone(instrument) || instrument.value.market !== market) return
                    counts.pairs++
                    const result = yield* Effect.result(
                      intraday.bars(instrument.value, interval, today, today, { ingestRunId: ctx.runId })
                    )
                    if (result._tag === "Success") counts.ok++
                    else {
                      counts.failed++
                      yield* Effect.logWarning("intraday refresh of a symbol failed; the next run retries it").pipe(
                        Effect.annotateLogs({ symbol, interval, error: result.failure.message })
                      )
                    }
                  }), { concurrency: CONCURRENCY, discard: true })
                return JobResult.ofSymbols(counts)
              }))
          )
        })

      return IntradayRefresh.of({ run })
    })
  )
}
