import { DataUnavailable, NoData } from "@marketgate/domain/ApiErrors"
import type { DailyBar } from "@marketgate/domain/Bar"
import { type DayNumber, fromDayNumber, toDayNumber } from "@marketgate/domain/CalendarDate"
import { dailyLimitOf, type Instrument } from "@marketgate/domain/Instrument"
import { Clock, Config, Context, Duration, Effect, Layer, Option } from "effect"
import { MarketCache } from "../Cache/MarketCache.ts"
import { TradingCalendars } from "../Calendar/TradingCalendars.ts"
import { type CorporateAction, MarketDataSource, type SourceDailyBar, type SourceError } from "../Sources/MarketDataSource.ts"
import { SourceRouter } from "../Sources/SourceRouter.ts"
import { DailyBarRepo, type DailyBarRow, type PricedAction } from "../Store/DailyBarRepo.ts"
import { makeStepCollector, stepFields, timedStep } from "../Observability/StepTimings.ts"
import { QualityValidator } from "../Quality/QualityValidator.ts"
import { IngestMetrics } from "./IngestMetrics.ts"

export interface DailyHistoryOptions {
  /**
   * How long after a session's close a provider's silence about it means the
   * instrument was suspended (providers publish end-of-day data within hours).
   */
  readonly settle: Duration.Duration
}

export interface FillStats {
  readonly sessions: number
  readonly missing: number
  readonly fetched: number
  readonly suspended: number
  readonly quarantined: number
  readonly written: number
  /** Rows that should have been stored but the write failed: a job counts the symbol as failed. */
  readonly unsaved: number
}

export interface SessionsOptions {
  /** The job run writing these bars (lineage). */
  readonly ingestRunId?: number | undefined
  /** Hears what one call did: jobs add it up. */
  readonly onStats?: ((stats: FillStats) => void) | undefined
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

/** Sessions of history the quality rules look back on (σ of returns, stale repeats). */
const LOOKBACK_DAYS = 100

interface Fetched {
  readonly bar: SourceDailyBar
  readonly from: string
}

/**
 * Daily history, store first: the sessions of a range that the store holds are
 * read from it; only the missing ones are fetched from the provider, checked
 * by the quality rules, written back, and served. A bar that fails a rule is
 * quarantined and another provider is asked for it. The store is a cache that
 * never expires.
 */
export class DailyHistory extends Context.Service<DailyHistory, {
  /** One bar per session of `instrument` in [from, to] that has closed, ascending. */
  readonly sessions: (
    instrument: Instrument,
    from: DayNumber,
    to: DayNumber,
    options?: SessionsOptions
  ) => Effect.Effect<Array<DailyBar>, DataUnavailable | NoData>
}>()("@marketgate/server/MarketData/DailyHistory") {
  static readonly make = (options: DailyHistoryOptions) =>
    Effect.gen(function*() {
      const calendars = yield* TradingCalendars
      const repo = yield* DailyBarRepo
      const quality = yield* QualityValidator
      const source = yield* MarketDataSource
      const router = yield* Effect.serviceOption(SourceRouter)
      const cache = yield* MarketCache
      const ingest = yield* IngestMetrics
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

      const unavailable = (instrument: Instrument, error: SourceError) =>
        error.reason === "NotFound"
          ? new NoData({ message: `no provider has daily bars for ${instrument.symbol} (${error.message})` })
          : new DataUnavailable({
            message: `no provider could supply daily bars for ${instrument.symbol} (${error.source}: ${error.message}); ` +
              "try again shortly"
          })

      const fetchRuns = (instrument: Instrument, runs: ReadonlyArray<{ first: DayNumber; last: DayNumber }>) =>
        Effect.forEach(
          runs,
          (run) => source.dailyBars(instrument.symbol, fromDayNumber(run.first), fromDayNumber(run.last)),
          { concurrency: 2 }
        ).pipe(
          // Each bar keeps the name of the provider that answered its run (lineage).
          Effect.map((chunks) => ({
            bars: chunks.flatMap((c) => c.bars.map((bar): Fetched => ({ bar, from: c.source ?? source.name }))),
            actions: chunks.flatMap((c) => c.actions.map((action) => ({ action, from: c.source ?? source.name })))
          })),
          Effect.mapError((error) => unavailable(instrument, error))
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
        function*(instrument: Instrument, from: DayNumber, to: DayNumber, sessionsOptions?: SessionsOptions) {
          const symbol = instrument.symbol
          const ingestRunId = sessionsOptions?.ingestRunId ?? null
          const calendar = calendars.of(instrument.exchange)
          const now = yield* Clock.currentTimeMillis
          const lastClosed = calendar.lastCompletedSession(now)
          const listed = instrument.listed_date === null ? Number.NEGATIVE_INFINITY : toDayNumber(instrument.listed_date)
          const delisted = instrument.delisted_date === null ? Number.POSITIVE_INFINITY : toDayNumber(instrument.delisted_date)
          const start = Math.max(from, listed)
          const end = Math.min(to, lastClosed ?? Number.NEGATIVE_INFINITY, delisted)
          if (end < start) return []
          const sessionDays = calendar.sessionDays(start, end)
          const byDay = new Map<DayNumber, DailyBar>()
          for (const bar of yield* storedRange(symbol, start, end)) byDay.set(toDayNumber(bar.date), bar)
          const missing = new Set(sessionDays.filter((d) => !byDay.has(d)))
          yield* Effect.annotateCurrentSpan({ sessions: sessionDays.length, stored: byDay.size, missing: missing.size })
          if (missing.size === 0) {
            sessionsOptions?.onStats?.({ sessions: sessionDays.length, missing: 0, fetched: 0, suspended: 0, quarantined: 0, written: 0, unsaved: 0 })
            return sessionDays.map((d) => byDay.get(d)!)
          }

          const steps = yield* makeStepCollector
          // The provider call and the two reads the rules need run side by side.
          const [fetched, storedActions, lookback] = yield* Effect.all([
            steps.measure(fetchRuns(instrument, runsOf(sessionDays, missing))),
            // Actions already stored count too: a split stays a split on every later fetch.
            repo.actions(symbol).pipe(Effect.orElseSucceed((): ReadonlyArray<PricedAction> => [])),
            // History before the range, for the rules that look back.
            storedRange(symbol, start - LOOKBACK_DAYS, start - 1)
          ], { concurrency: "unbounded" })
          const actionDates = new Set([...fetched.actions.map((a) => a.action.exDate), ...storedActions.map((a) => a.exDate)])
          const history = [...lookback, ...byDay.values()].filter((b) => !b.suspended)
          const validate = (candidates: ReadonlyArray<Fetched>, accepted: ReadonlyArray<DailyBar | SourceDailyBar> = []) =>
            quality.check(candidates.map((c) => ({ ...c.bar, fetched: c })), [...history, ...accepted], {
              limit: dailyLimitOf(instrument.board),
              isSession: (date) => calendar.isSession(date),
              previousSession: (date) => {
                const day = calendar.sessionOnOrBefore(toDayNumber(date) - 1)
                return day === undefined ? undefined : fromDayNumber(day)
              },
              hasActionOn: (date) => actionDates.has(date)
            })

          // A bar that breaks a rule is quarantined, and the same session is asked
          // of the providers that did not send it.
          // A flat zero-volume bar is the provider saying "did not trade" (a halt):
          // it is left out, so the session is recorded as a suspension like any
          // other the provider is silent about.
          const halted = (b: SourceDailyBar) => b.volume === 0 && b.open === b.close && b.high === b.close && b.low === b.close
          const candidates = fetched.bars.filter((f) =>
            !halted(f.bar) && (missing.has(toDayNumber(f.bar.date)) || !calendar.isSession(f.bar.date))
          )
          let checked = validate(candidates)
          const quarantined = [...checked.rejected]
          if (checked.rejected.length > 0 && Option.isSome(router)) {
            const retried = checked.rejected.filter((r) => r.violation.rule !== "out_of_calendar")
            const exclude = [...new Set(retried.map((r) => r.bar.fetched.from))]
            const dates = retried.map((r) => r.bar.date).sort()
            if (dates.length > 0) {
              const second = yield* steps.measure(router.value.dailyBarsExcluding(symbol, dates[0]!, dates.at(-1)!, exclude)).pipe(
                Effect.map((answer) =>
                  answer.bars
                    .filter((bar) => dates.includes(bar.date))
                    .map((bar): Fetched => ({ bar, from: answer.source ?? "unknown" }))
                ),
                Effect.orElseSucceed((): ReadonlyArray<Fetched> => [])
              )
              // Judged against the store and what the first answer got accepted.
              const again = validate(second.filter((f) => !halted(f.bar)), checked.accepted.map((a) => a.fetched.bar))
              checked = { accepted: [...checked.accepted, ...again.accepted], rejected: again.rejected }
              quarantined.push(...again.rejected)
            }
          }
          yield* quality.quarantine(quarantined.map((r) => ({
            symbol,
            date: r.bar.date,
            source: r.bar.fetched.from,
            violation: r.violation,
            payload: r.bar.fetched.bar,
            ingestRunId
          })))
          const fresh = new Map<DayNumber, Fetched>()
          for (const bar of checked.accepted) fresh.set(toDayNumber(bar.date), bar.fetched)
          const rejected = new Set(quarantined.map((r) => toDayNumber(r.bar.date)))

          // The close before a date, from this fetch or the store.
          const closeBefore = (date: string) =>
            Effect.gen(function*() {
              const prior = calendar.sessionOnOrBefore(toDayNumber(date) - 1)
              const known = prior === undefined ? undefined : fresh.get(prior)?.bar.close ?? byDay.get(prior)?.close
              if (known !== undefined) return known
              const stored = yield* repo.lastBefore(symbol, date).pipe(Effect.orElseSucceed(() => Option.none<DailyBar>()))
              return Option.getOrUndefined(stored)?.close
            })
          const recorded = yield* recordActions(symbol, fetched.actions, closeBefore)
          if (recorded > 0) {
            // New actions rescaled the stored bars: every cached series of the
            // symbol (and its indicators) is stale, here and in every instance.
            yield* cache.invalidatePrefix("daily", symbol)
            byDay.clear()
            for (const bar of yield* storedRange(symbol, start, end)) byDay.set(toDayNumber(bar.date), bar)
          }
          const actions = recorded > 0
            ? yield* repo.actions(symbol).pipe(Effect.orElseSucceed((): ReadonlyArray<PricedAction> => []))
            : storedActions

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
                bar = { ...got.bar, adjFactor: factorAt(actions, date), suspended: false }
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
                const { adjFactor, amount, close, high, low, open, suspended, volume } = bar
                rows.push({
                  symbol,
                  date,
                  open,
                  high,
                  low,
                  close,
                  volume,
                  amount,
                  adjFactor,
                  suspended,
                  source: got?.from ?? "calendar",
                  fetchedAt: now,
                  ingestRunId,
                  // A synthesised suspension was not checked by any rule.
                  checks: got === undefined ? [] : quality.rules
                })
              }
            }
            if (bar !== undefined) {
              served.push(bar)
              previous = bar
            }
          }

          let written = 0
          let unsaved = 0
          if (rows.length > 0) {
            yield* steps.measure(timedStep("db_write", repo.upsert(rows))).pipe(
              Effect.tap((n) => Effect.sync(() => (written = n))),
              Effect.tap(() =>
                Effect.sync(() => {
                  for (const row of rows) ingest.bars.inc({ source: row.source, kind: "daily" })
                })
              ),
              // A reader still gets the bars; a job hears they were not kept.
              Effect.catch((error) =>
                Effect.logWarning("store write failed; serving the fetched bars anyway").pipe(
                  Effect.annotateLogs({ symbol, error: error.message }),
                  Effect.andThen(Effect.sync(() => (unsaved = rows.length)))
                )
              )
            )
          }
          sessionsOptions?.onStats?.({
            sessions: sessionDays.length,
            missing: missing.size,
            fetched: fresh.size,
            suspended: suspensions,
            quarantined: quarantined.length,
            written,
            unsaved
          })
          yield* Effect.logInfo("filled missing sessions from the provider").pipe(
            Effect.annotateLogs({
              symbol,
              source: [...new Set([...fresh.values()].map((f) => f.from))].join(",") || source.name,
              missing: missing.size,
              fetched: fresh.size,
              suspended: suspensions,
              quarantined: quarantined.length,
              actions: fetched.actions.length,
              still_missing: missing.size - fresh.size - suspensions,
              ...stepFields(steps.totals())
            })
          )
          return served
        }
      )

      return DailyHistory.of({ sessions })
    })

  static readonly layer = (options: DailyHistoryOptions) => Layer.effect(DailyHistory, DailyHistory.make(options))

  /** `SUSPENSION_SETTLE`, with the validator of `QUALITY_*`. */
  static readonly layerConfig = Layer.effect(
    DailyHistory,
    Effect.gen(function*() {
      const settle = yield* Config.Duration("SUSPENSION_SETTLE").pipe(Config.withDefault(Duration.hours(12)))
      return yield* DailyHistory.make({ settle })
    })
  ).pipe(Layer.provideMerge(QualityValidator.layerConfig))

  /** A 12 h settle and the default quality thresholds. */
  static readonly layerTest = DailyHistory.layer({ settle: Duration.hours(12) }).pipe(
    Layer.provideMerge(QualityValidator.layerTest)
  )
}
