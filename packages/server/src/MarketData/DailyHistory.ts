import type { DataUnavailable, NoData } from "@marketgate/domain/ApiErrors"
import type { DailyBar } from "@marketgate/domain/Bar"
import { type DayNumber, fromDayNumber, toDayNumber } from "@marketgate/domain/CalendarDate"
import { dailyLimitOf, type Instrument } from "@marketgate/domain/Instrument"
import { Clock, Config, Context, Duration, Effect, Layer } from "effect"
import { TradingCalendars } from "../Calendar/TradingCalendars.ts"
import { makeStepCollector, stepFields } from "../Observability/StepTimings.ts"
import { QualityValidator } from "../Quality/QualityValidator.ts"
import { MarketDataSource, type SourceDailyBar } from "../Sources/MarketDataSource.ts"
import { DailyBarRepo } from "../Store/DailyBarRepo.ts"
import { recordActions } from "./CorporateActions.ts"
import { fetchRuns } from "./DailyFetch.ts"
import { makeDailyStore } from "./DailyStore.ts"
import { IngestMetrics } from "./IngestMetrics.ts"
import { SecondOpinion } from "./SecondOpinion.ts"
import * as SessionPlan from "./SessionPlan.ts"
import * as Suspensions from "./Suspensions.ts"
import type { Fetched } from "./Suspensions.ts"

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
}

/** What one call served and did. */
export interface Sessions {
  /** One bar per session of the range that has closed, ascending. */
  readonly bars: ReadonlyArray<DailyBar>
  /** What the call did: jobs add it up. */
  readonly stats: FillStats
  /**
   * New corporate actions rescaled the symbol's stored bars: every cached
   * series of the symbol (and its indicators) is stale, here and in every
   * instance. The caller invalidates them.
   */
  readonly rescaled: boolean
}

/** Sessions of history the quality rules look back on (σ of returns, stale repeats). */
const LOOKBACK_DAYS = 100

const noStats = (sessions: number): FillStats => ({ sessions, missing: 0, fetched: 0, suspended: 0, quarantined: 0, written: 0, unsaved: 0 })

/**
 * Daily history, store first: the sessions of a range that the store holds are
 * read from it; only the missing ones are fetched from the provider, checked
 * by the quality rules, written back, and served. A bar that fails a rule is
 * quarantined and another provider is asked for it (SecondOpinion). The store
 * is a cache that never expires. The planning is pure (SessionPlan,
 * Suspensions); corporate actions are CorporateActions.ts.
 */
export class DailyHistory extends Context.Service<DailyHistory, {
  readonly sessions: (
    instrument: Instrument,
    from: DayNumber,
    to: DayNumber,
    options?: SessionsOptions
  ) => Effect.Effect<Sessions, DataUnavailable | NoData>
}>()("@marketgate/server/MarketData/DailyHistory") {
  static readonly make = (options: DailyHistoryOptions) =>
    Effect.gen(function*() {
      const calendars = yield* TradingCalendars
      const repo = yield* DailyBarRepo
      const quality = yield* QualityValidator
      const source = yield* MarketDataSource
      const secondOpinion = yield* SecondOpinion
      const ingest = yield* IngestMetrics
      const settleMs = Duration.toMillis(options.settle)

      const store = makeDailyStore(repo, ingest)

      const sessions = Effect.fn("DailyHistory.sessions")(
        function*(instrument: Instrument, from: DayNumber, to: DayNumber, sessionsOptions?: SessionsOptions) {
          const symbol = instrument.symbol
          const ingestRunId = sessionsOptions?.ingestRunId ?? null
          const calendar = calendars.of(instrument.exchange)
          const now = yield* Clock.currentTimeMillis
          const span = SessionPlan.clip(instrument, from, to, calendar.lastCompletedSession(now))
          if (span === undefined) return { bars: [], stats: noStats(0), rescaled: false } satisfies Sessions
          const planned = SessionPlan.plan(calendar, span, yield* store.range(symbol, span.first, span.last))
          const { missing, sessions: sessionDays } = planned
          yield* Effect.annotateCurrentSpan({ sessions: sessionDays.length, stored: planned.stored.size, missing: missing.size })
          if (missing.size === 0) {
            return { bars: sessionDays.map((d) => planned.stored.get(d)!), stats: noStats(sessionDays.length), rescaled: false } satisfies Sessions
          }

          const steps = yield* makeStepCollector
          // The provider call and the two reads the rules need run side by side.
          const [fetched, knownActions, lookback] = yield* Effect.all([
            steps.measure(fetchRuns(source, instrument, SessionPlan.missingRuns(sessionDays, missing))),
            // Actions already stored count too: a split stays a split on every later fetch.
            store.actions(symbol),
            // History before the range, for the rules that look back.
            store.range(symbol, span.first - LOOKBACK_DAYS, span.first - 1)
          ], { concurrency: "unbounded" })
          const actionDates = new Set([...fetched.actions.map((a) => a.action.exDate), ...knownActions.map((a) => a.exDate)])
          const history = [...lookback, ...planned.stored.values()].filter((b) => !b.suspended)
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
          const candidates = fetched.bars.filter((f) =>
            !SessionPlan.halted(f.bar) && (missing.has(toDayNumber(f.bar.date)) || !calendar.isSession(f.bar.date))
          )
          let checked = validate(candidates)
          const quarantined = [...checked.rejected]
          const retried = checked.rejected.filter((r) => r.violation.rule !== "out_of_calendar")
          if (retried.length > 0) {
            const exclude = [...new Set(retried.map((r) => r.bar.fetched.from))]
            const second = yield* steps.measure(secondOpinion.dailyBars(symbol, retried.map((r) => r.bar.date), exclude))
            // Judged against the store and what the first answer got accepted.
            const again = validate(second.filter((f) => !SessionPlan.halted(f.bar)), checked.accepted.map((a) => a.fetched.bar))
            checked = { accepted: [...checked.accepted, ...again.accepted], rejected: again.rejected }
            quarantined.push(...again.rejected)
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

          // The close before a date, from this fetch or the store.
          const closeBefore = (date: string) =>
            Effect.gen(function*() {
              const prior = calendar.sessionOnOrBefore(toDayNumber(date) - 1)
              const known = prior === undefined ? undefined : fresh.get(prior)?.bar.close ?? planned.stored.get(prior)?.close
              return known ?? (yield* store.lastBefore(symbol, date))?.close
            })
          const rescaled = (yield* recordActions(repo, symbol, fetched.actions, closeBefore)) > 0
          // The store rescaled its bars: read them again, with the actions now known.
          const stored = rescaled ? SessionPlan.plan(calendar, span, yield* store.range(symbol, span.first, span.last)).stored : planned.stored
          const actions = rescaled ? yield* store.actions(symbol) : knownActions

          const assembly = {
            symbol,
            sessions: sessionDays,
            stored,
            fresh,
            rejected: new Set(quarantined.map((r) => toDayNumber(r.bar.date))),
            actions,
            settled: (day: DayNumber) => calendar.sessionTimes(day)!.close + settleMs <= now,
            now,
            ingestRunId,
            rules: quality.rules
          }
          const closeBeforeRange = Suspensions.opensSuspended(assembly) ? yield* store.lastBefore(symbol, fromDayNumber(span.first)) : undefined
          const { rows, served, suspensions } = Suspensions.assemble({ ...assembly, closeBeforeRange })
          const { unsaved, written } = yield* steps.measure(store.write(symbol, rows))
          const stats: FillStats = {
            sessions: sessionDays.length,
            missing: missing.size,
            fetched: fresh.size,
            suspended: suspensions,
            quarantined: quarantined.length,
            written,
            unsaved
          }
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
          return { bars: served, stats, rescaled } satisfies Sessions
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
