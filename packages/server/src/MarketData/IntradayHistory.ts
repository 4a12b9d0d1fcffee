import { DataUnavailable, NoData } from "@marketgate/domain/ApiErrors"
import type { Bar } from "@marketgate/domain/Bar"
import { ohlcViolation } from "@marketgate/domain/BarChecks"
import { type DayNumber, fromDayNumber } from "@marketgate/domain/CalendarDate"
import type { Instrument } from "@marketgate/domain/Instrument"
import type { IntradayInterval } from "@marketgate/domain/Interval"
import { Clock, Context, Effect, Layer } from "effect"
import { TradingCalendars } from "../Calendar/TradingCalendars.ts"
import { timedStep } from "../Observability/StepTimings.ts"
import { QualityValidator } from "../Quality/QualityValidator.ts"
import { MarketDataSource, type SourceIntradayBar } from "../Sources/MarketDataSource.ts"
import { IntradayRepo } from "../Store/IntradayRepo.ts"
import { IngestMetrics } from "./IngestMetrics.ts"

export interface IntradayOptions {
  /** The job run writing these bars (lineage). */
  readonly ingestRunId?: number | undefined
}

const toBar = (b: SourceIntradayBar): Bar => ({
  date: b.date,
  ts: new Date(b.ts).toISOString(),
  open: b.open,
  high: b.high,
  low: b.low,
  close: b.close,
  volume: b.volume,
  amount: b.amount,
  suspended: false
})

/**
 * Intraday bars: asked of the provider (providers keep only weeks of minute
 * bars), checked, written through to `bars_intraday`, and merged with what
 * the store holds for the range — so history older than the provider's window
 * is still served, and a provider outage still answers from the store.
 */
export class IntradayHistory extends Context.Service<IntradayHistory, {
  readonly bars: (
    instrument: Instrument,
    interval: IntradayInterval,
    from: DayNumber,
    to: DayNumber,
    options?: IntradayOptions
  ) => Effect.Effect<Array<Bar>, NoData | DataUnavailable>
}>()("@marketgate/server/MarketData/IntradayHistory") {
  static readonly layer = Layer.effect(
    IntradayHistory,
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const repo = yield* IntradayRepo
      const calendars = yield* TradingCalendars
      const quality = yield* QualityValidator
      const ingest = yield* IngestMetrics

      const stored = (instrument: Instrument, interval: IntradayInterval, from: DayNumber, to: DayNumber) =>
        Effect.gen(function*() {
          const calendar = calendars.of(instrument.exchange)
          const first = calendar.sessionTimes(calendar.sessionOnOrAfter(from) ?? from)?.open
          const last = calendar.sessionTimes(calendar.sessionOnOrBefore(to) ?? to)?.close
          if (first === undefined || last === undefined || last < first) return []
          return yield* repo.range(instrument.symbol, interval, first, last + 1)
        }).pipe(
          Effect.catch((error) =>
            Effect.logWarning("intraday store read failed").pipe(
              Effect.annotateLogs({ symbol: instrument.symbol, error: error.message }),
              Effect.as([] as ReadonlyArray<SourceIntradayBar>)
            )
          )
        )

      const bars = Effect.fn("IntradayHistory.bars")(
        function*(instrument: Instrument, interval: IntradayInterval, from: DayNumber, to: DayNumber, options?: IntradayOptions) {
          const symbol = instrument.symbol
          const fetched = yield* Effect.result(source.intradayBars(symbol, interval, fromDayNumber(from), fromDayNumber(to)))
          const fromStore = yield* stored(instrument, interval, from, to)
          if (fetched._tag === "Failure") {
            const error = fetched.failure
            // An outage (not "no such data") still answers with what the store holds.
            if (fromStore.length > 0 && error.reason !== "NotFound") {
              yield* Effect.logWarning("providers unavailable; serving intraday bars from the store").pipe(
                Effect.annotateLogs({ symbol, interval, error: error.message })
              )
              return fromStore.map(toBar)
            }
            return yield* error.reason === "NotFound"
              ? new NoData({ message: `no provider has ${interval} bars for ${symbol} (${error.message})` })
              : new DataUnavailable({
                message: `no provider could supply ${interval} bars for ${symbol} (${error.message}); try again shortly`
              })
          }
          // An impossible bar is quarantined, never stored or served.
          const good: Array<SourceIntradayBar> = []
          const bad: Array<{ bar: SourceIntradayBar; detail: string }> = []
          for (const bar of fetched.success) {
            const detail = ohlcViolation(bar)
            if (detail === undefined) good.push(bar)
            else bad.push({ bar, detail })
          }
          const ingestRunId = options?.ingestRunId ?? null
          yield* quality.quarantine(bad.map(({ bar, detail }) => ({
            symbol,
            date: bar.date,
            source: source.name,
            violation: { rule: "ohlc", detail },
            payload: { interval, ...bar },
            ingestRunId
          })))
          if (good.length > 0) {
            const now = yield* Clock.currentTimeMillis
            yield* timedStep(
              "db_write",
              repo.upsert(good.map((bar) => ({ ...bar, symbol, interval, source: source.name, fetchedAt: now, ingestRunId })))
            ).pipe(
              Effect.tap((n) => Effect.sync(() => ingest.bars.inc({ source: source.name, kind: "intraday" }, n))),
              Effect.catch((error) =>
                Effect.logWarning("intraday store write failed; serving the fetched bars anyway").pipe(
                  Effect.annotateLogs({ symbol, interval, error: error.message })
                )
              )
            )
          }
          // The provider's bars win; the store fills in what it no longer has.
          const byTs = new Map<number, SourceIntradayBar>()
          for (const bar of fromStore) byTs.set(bar.ts, bar)
          for (const bar of good) byTs.set(bar.ts, bar)
          return [...byTs.values()].sort((a, b) => a.ts - b.ts).map(toBar)
        }
      )

      return IntradayHistory.of({ bars })
    })
  )
}
