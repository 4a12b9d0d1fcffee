import { DataUnavailable, NoData } from "@marketgate/domain/ApiErrors"
import type { DailyBar } from "@marketgate/domain/Bar"
import { ohlcViolation } from "@marketgate/domain/BarChecks"
import { type DayNumber, fromDayNumber, toDayNumber } from "@marketgate/domain/CalendarDate"
import type { Instrument } from "@marketgate/domain/Instrument"
import { Clock, Config, Context, Duration, Effect, Layer, Option } from "effect"
import * as Prom from "prom-client"
import { MarketCache } from "../Cache/MarketCache.ts"
import { TradingCalendars } from "../Calendar/TradingCalendars.ts"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"
import { type CorporateAction, MarketDataSource, type SourceDailyBar } from "../Sources/MarketDataSource.ts"
import { DailyBarRepo, type DailyBarRow, type PricedAction } from "../Store/DailyBarRepo.ts"

export interface DailyHistoryOptions {
  /**
   * How long after a session's close a provider's silence about it means the
   * instrument was suspended (providers publish end-of-day data within hours).
   */
  readonly settle: Duration.Duration
}

/** Consecutive runs of missing sessions: each becomes one provider request. */
const runsOf = (sessions: ReadonlyArray<DayNumber>, missing: ReadonlySet<DayNumber>) => {
  const runs: Array<{ first: DayNumber; last: DayNumber }> = []
  let current: { first: DayNumber; last: DayNumber } | undefined
  for (const day of sessions) {
    if (missing.has(day)) {
      if (current === undefined) runs.push(current = { first: day, last: day })
      else current.last = day
    } else {
      current = undefined
    }
  }
  return runs
}

/** Cumulative adjustment factor of a date: the product of the factors of actions effective by then. */
const factorAt = (actions: ReadonlyArray<PricedAction>, date: string) =>
  actions.reduce((f, a) => (a.exDate <= date ? f * a.factor : f), 1)

/**
 * Daily history, store first: the sessions of a range that the store holds are
 * read from it; only the missing ones are fetched from the provider, checked,
 * written back, and served. The store is a cache that never expires.
 */
export class DailyHistory extends Context.Service<DailyHistory, {
  /** One bar per session of `instrument` in [from, to] that has closed, ascending. */
  readonly sessions: (
    instrument: Instrument,
    from: DayNumber,
    to: DayNumber
  ) => Effect.Effect<Array<DailyBar>, DataUnavailable | NoData>
}>()("@marketgate/server/MarketData/DailyHistory") {
  static readonly make = (options: DailyHistoryOptions) =>
    Effect.gen(function*() {
      const calendars = yield* TradingCalendars
      const repo = yield* DailyBarRepo
      const source = yield* MarketDataSource
      const cache = yield* MarketCache
      const { registry } = yield* MetricsRegistry
      const ingested = new Prom.Counter({
        name: "ingest_bars_total",
        help: "Bars fetched from a provider and written to the store",
        labelNames: ["source", "kind"],
        registers: [registry]
      })
      const violations = new Prom.Counter({
        name: "data_quality_violations_total",
        help: "Provider bars rejected by a data-quality rule",
        labelNames: ["rule"],
        registers: [registry]
      })
      const settleMs = Duration.toMillis(options.settle)

      // The store failing degrades to "store holds nothing": the provider still answers.
      const storedRange = (symbol: string, from: DayNumber, to: DayNumber) =>
        repo.range(symbol, fromDayNumber(from), fromDayNumber(to)).pipe(
          Effect.catch((error) =>
            Effect.logWarning("store read failed; fetching the range from the provider").pipe(
              Effect.annotateLogs({ symbol, error: error.message }),
              Effect.as([] as ReadonlyArray<DailyBar>)
            )
          )
        )

      const fetchRuns = (instrument: Instrument, runs: ReadonlyArray<{ first: DayNumber; last: DayNumber }>) =>
        Effect.forEach(
          runs,
          (run) => source.dailyBars(instrument.symbol, fromDayNumber(run.first), fromDayNumber(run.last)),
          { concurrency: 2 }
        ).pipe(
          // Each bar keeps the name of the provider that answered its run (lineage).
          Effect.map((chunks) => ({
            bars: chunks.flatMap((c) => c.bars.map((bar) => ({ bar, from: c.source ?? source.name }))),
            actions: chunks.flatMap((c) => c.actions.map((action) => ({ action, from: c.source ?? source.name })))
          })),
          Effect.mapError((error) =>
            error.reason === "NotFound"
              ? new NoData({ message: `no provider has daily bars for ${instrument.symbol} (${error.message})` })
              : new DataUnavailable({
                message: `no provider could supply daily bars for ${instrument.symbol} (${error.source}: ${error.message}); ` +
                  "try again shortly"
              })
          )
        )

      /**
       * Prices the reported actions (a dividend's factor needs the close before
       * its ex-date) and records them; stored bars are rescaled by the store.
       */
      const recordActions = (
        symbol: string,
        reported: ReadonlyArray<{ readonly action: CorporateAction; readonly from: string }>,
        closeBefore: (exDate: string) => Effect.Effect<number | undefined>
      ) =>
        Effect.gen(function*() {
          const priced: Array<PricedAction> = []
          const providers = new Set(reported.map((r) => r.from))
          for (const { action: a } of reported) {
            if (a.kind === "split") {
              priced.push({ ...a, factor: a.numerator / a.denominator })
              continue
            }
            const previous = yield* closeBefore(a.exDate)
            if (previous === undefined || previous <= a.amount) {
              yield* Effect.logWarning("dividend left out: no usable close before its ex-date").pipe(
                Effect.annotateLogs({ symbol, ex_date: a.exDate, amount: a.amount })
              )
              continue
            }
            priced.push({ ...a, factor: previous / (previous - a.amount) })
          }
          if (priced.length === 0) return 0
          return yield* repo.recordActions(symbol, priced, [...providers].join(",")).pipe(
            Effect.catch((error) =>
              Effect.logWarning("recording corporate actions failed").pipe(
                Effect.annotateLogs({ symbol, error: error.message }),
                Effect.as(0)
              )
            )
          )
        })

      const sessions = Effect.fn("DailyHistory.sessions")(
        function*(instrument: Instrument, from: DayNumber, to: DayNumber) {
          const symbol = instrument.symbol
          const calendar = calendars.of(instrument.exchange)
          const now = yield* Clock.currentTimeMillis
          const lastClosed = calendar.lastCompletedSession(now)
          const listed = toDayNumber(instrument.listed_date)
          const delisted = instrument.delisted_date === null ? Number.POSITIVE_INFINITY : toDayNumber(instrument.delisted_date)
          const start = Math.max(from, listed)
          const end = Math.min(to, lastClosed ?? Number.NEGATIVE_INFINITY, delisted)
          if (end < start) return []
          const sessionDays = calendar.sessionDays(start, end)
          const byDay = new Map<DayNumber, DailyBar>()
          for (const bar of yield* storedRange(symbol, start, end)) byDay.set(toDayNumber(bar.date), bar)
          const missing = new Set(sessionDays.filter((d) => !byDay.has(d)))
          yield* Effect.annotateCurrentSpan({ sessions: sessionDays.length, stored: byDay.size, missing: missing.size })
          if (missing.size === 0) return sessionDays.map((d) => byDay.get(d)!)

          const fetched = yield* fetchRuns(instrument, runsOf(sessionDays, missing))
          const fresh = new Map<DayNumber, SourceDailyBar>()
          const origin = new Map<DayNumber, string>()
          const rejected = new Set<DayNumber>()
          for (const { bar, from: provider } of fetched.bars) {
            const day = toDayNumber(bar.date)
            if (!missing.has(day)) continue
            const violation = ohlcViolation(bar)
            if (violation !== undefined) {
              rejected.add(day)
              violations.inc({ rule: "ohlc" })
              yield* Effect.logWarning("provider bar rejected").pipe(
                Effect.annotateLogs({ symbol, date: bar.date, source: provider, rule: "ohlc", violation })
              )
              continue
            }
            fresh.set(day, bar)
            origin.set(day, provider)
          }

          // The close before a date, from this fetch or the store.
          const closeBefore = (date: string) =>
            Effect.gen(function*() {
              const day = toDayNumber(date)
              const prior = calendar.sessionOnOrBefore(day - 1)
              const known = prior === undefined ? undefined : fresh.get(prior)?.close ?? byDay.get(prior)?.close
              if (known !== undefined) return known
              const stored = yield* repo.lastBefore(symbol, date).pipe(Effect.orElseSucceed(() => Option.none<DailyBar>()))
              return Option.getOrUndefined(stored)?.close
            })
          if ((yield* recordActions(symbol, fetched.actions, closeBefore)) > 0) {
            // New actions rescaled the stored bars: every cached series of the
            // symbol (and its indicators) is stale, here and in every instance.
            yield* cache.invalidatePrefix("daily", symbol)
            byDay.clear()
            for (const bar of yield* storedRange(symbol, start, end)) byDay.set(toDayNumber(bar.date), bar)
          }
          const actions = yield* repo.actions(symbol).pipe(Effect.orElseSucceed((): ReadonlyArray<PricedAction> => []))

          // A session the provider answered without, long enough after its close,
          // was a suspension: a flat bar at the previous close, zero volume. A
          // rejected bar stays missing (asked again next time); it is not a suspension.
          const rows: Array<DailyBarRow> = []
          const served: Array<DailyBar> = []
          let previous: DailyBar | undefined
          let suspensions = 0
          for (const [i, day] of sessionDays.entries()) {
            let bar: DailyBar | undefined = byDay.get(day)
            if (bar === undefined) {
              const date = fromDayNumber(day)
              const got = fresh.get(day)
              const settled = calendar.sessionTimes(day)!.close + settleMs <= now
              if (got !== undefined) {
                bar = { ...got, adjFactor: factorAt(actions, date), suspended: false }
              } else if (settled && !rejected.has(day)) {
                // The close before the range is only needed when the range opens suspended.
                if (i === 0) {
                  previous = Option.getOrUndefined(
                    yield* repo.lastBefore(symbol, fromDayNumber(start)).pipe(
                      Effect.orElseSucceed(() => Option.none<DailyBar>())
                    )
                  )
                }
                if (previous !== undefined) {
                  const p = previous.close
                  bar = { date, open: p, high: p, low: p, close: p, volume: 0, amount: 0, adjFactor: factorAt(actions, date), suspended: true }
                  suspensions++
                }
              }
              if (bar !== undefined) {
                rows.push({ ...bar, symbol, source: origin.get(day) ?? source.name, fetchedAt: now, ingestRunId: null })
              }
            }
            if (bar !== undefined) {
              served.push(bar)
              previous = bar
            }
          }

          if (rows.length > 0) {
            yield* repo.upsert(rows).pipe(
              Effect.tap(() =>
                Effect.sync(() => {
                  for (const row of rows) ingested.inc({ source: row.source, kind: "daily" })
                })
              ),
              Effect.catch((error) =>
                Effect.logWarning("store write failed; serving the fetched bars anyway").pipe(
                  Effect.annotateLogs({ symbol, error: error.message })
                )
              )
            )
          }
          yield* Effect.logInfo("filled missing sessions from the provider").pipe(
            Effect.annotateLogs({
              symbol,
              source: [...new Set(origin.values())].join(",") || source.name,
              missing: missing.size,
              fetched: fresh.size,
              suspended: suspensions,
              actions: fetched.actions.length,
              still_missing: missing.size - fresh.size - suspensions
            })
          )
          return served
        }
      )

      return DailyHistory.of({ sessions })
    })

  static readonly layer = (options: DailyHistoryOptions) => Layer.effect(DailyHistory, DailyHistory.make(options))

  static readonly layerConfig = Layer.effect(
    DailyHistory,
    Effect.flatMap(
      Config.Duration("SUSPENSION_SETTLE").pipe(Config.withDefault(Duration.hours(12))),
      (settle) => DailyHistory.make({ settle })
    )
  )
}
