import { type IsoDate, toDayNumber } from "@marketgate/domain/CalendarDate"
import type { Instrument } from "@marketgate/domain/Instrument"
import { Clock, Context, Duration, Effect, Layer, Option } from "effect"
import { RateLimiter } from "effect/persistence"
import { InstrumentCatalog } from "../Instruments/InstrumentCatalog.ts"
import { MarketCache } from "../Cache/MarketCache.ts"
import { DailyHistory, type FillStats } from "../MarketData/DailyHistory.ts"
import { makeStepCollector, stepFields } from "../Observability/StepTimings.ts"
import * as JobResult from "./JobResult.ts"
import type { Counts } from "./JobResult.ts"
import { type JobContext, type JobOutcome, JobRunner, type StartOutcome } from "./JobRunner.ts"

export interface BackfillRequest {
  /** Default: every listed instrument. */
  readonly symbols?: ReadonlyArray<string> | undefined
  readonly from: IsoDate
  readonly to: IsoDate
  /** Symbols started per second, at most (on top of each provider's own rate limit). */
  readonly ratePerSecond?: number | undefined
}

/** Symbols per batch, and per batch at once. */
const BATCH = 50
const CONCURRENCY = 4
/** Under a rate limit, how long one batch may take by pacing alone. */
const PACED_BATCH_SECONDS = 5

/** What `fill` did: symbols asked for, done, failed (not filled), and the sessions' figures. */
export interface FillCounts extends Counts {
  readonly symbols: number
  readonly done: number
  readonly failed: number
}

/** Per-range bounds of what one job fills: the whole history of each symbol or a window. */
export type Window = (instrument: Instrument) => { readonly from: IsoDate; readonly to: IsoDate } | undefined

/**
 * Fills daily history for many symbols: only sessions the store lacks are
 * fetched (DailyHistory), so a run is idempotent and resumable — killed
 * midway, the next run fetches what is still missing and nothing else.
 * Batches run with bounded concurrency; the batch in progress finishes before
 * a shutdown takes effect. Each batch logs its step timings as fields.
 */
export class Backfill extends Context.Service<Backfill, {
  readonly run: (
    request: BackfillRequest,
    trigger: string,
    onProgress?: (counts: Counts) => Effect.Effect<void>
  ) => Effect.Effect<JobOutcome>
  /** Starts a run in the background: its id, or why it did not start. */
  readonly start: (request: BackfillRequest, trigger: string) => Effect.Effect<StartOutcome>
  /** The engine the scheduled jobs share: fill `window(instrument)` for each instrument, in batches. */
  readonly fill: (
    instruments: ReadonlyArray<Instrument>,
    window: Window,
    ctx: JobContext,
    options?: { readonly ratePerSecond?: number | undefined; readonly onProgress?: ((counts: Counts) => Effect.Effect<void>) | undefined }
  ) => Effect.Effect<FillCounts>
}>()("@marketgate/server/Jobs/Backfill") {
  static readonly layer = Layer.effect(
    Backfill,
    Effect.gen(function*() {
      const history = yield* DailyHistory
      const cache = yield* MarketCache
      const catalog = yield* InstrumentCatalog
      const runner = yield* JobRunner
      const limiter = yield* RateLimiter.make.pipe(Effect.provide(RateLimiter.layerStoreMemory))

      const fill = Effect.fn("Backfill.fill")(function*(
        instruments: ReadonlyArray<Instrument>,
        window: Window,
        ctx: JobContext,
        options?: { readonly ratePerSecond?: number | undefined; readonly onProgress?: ((counts: Counts) => Effect.Effect<void>) | undefined }
      ) {
        const counts = { symbols: instruments.length, done: 0, failed: 0, sessions: 0, fetched: 0, written: 0, suspended: 0, quarantined: 0 }
        const rate = options?.ratePerSecond
        // A paced batch spans at most ~PACED_BATCH_SECONDS, so a shutdown waiting for it stays short.
        const size = rate === undefined || rate <= 0 ? BATCH : Math.min(BATCH, Math.max(CONCURRENCY, Math.ceil(rate * PACED_BATCH_SECONDS)))
        const batches = Math.ceil(instruments.length / size)
        const pace = rate === undefined || rate <= 0
          ? Effect.void
          : Effect.asVoid(limiter.consume({
            algorithm: "token-bucket",
            key: `backfill:${ctx.runId}`,
            // Below one per second: one per 1/rate seconds.
            limit: rate >= 1 ? Math.floor(rate) : 1,
            window: rate >= 1 ? Duration.seconds(1) : Duration.millis(Math.round(1000 / rate)),
            onExceeded: "delay"
          }).pipe(Effect.flatMap((r) => Effect.sleep(r.delay)), Effect.orDie))
        for (let b = 0; b < batches; b++) {
          const batch = instruments.slice(b * size, (b + 1) * size)
          const started = yield* Clock.currentTimeMillis
          let ok = 0
          const steps = yield* makeStepCollector
          // A batch is never cut in half: shutdown waits for it, then stops.
          yield* Effect.uninterruptible(steps.measure(
            Effect.forEach(batch, (instrument) => {
              const range = window(instrument)
              if (range === undefined) return Effect.sync(() => void ok++)
              const add = (s: FillStats) => {
                counts.sessions += s.sessions
                counts.fetched += s.fetched
                counts.written += s.written
                counts.suspended += s.suspended
                counts.quarantined += s.quarantined
              }
              return pace.pipe(
                Effect.andThen(history.sessions(instrument, toDayNumber(range.from), toDayNumber(range.to), { ingestRunId: ctx.runId })),
                Effect.tap(({ rescaled, stats }) => {
                  add(stats)
                  // New corporate actions rescaled the stored bars: cached series of the symbol are stale.
                  return rescaled ? cache.invalidatePrefix("daily", instrument.symbol) : Effect.void
                }),
                Effect.match({
                  onSuccess: ({ stats }) => (stats.unsaved > 0 ? `the store did not keep ${stats.unsaved} fetched bars` : undefined),
                  onFailure: (error) => error.message
                }),
                Effect.flatMap((error) => {
                  if (error === undefined) return Effect.sync(() => void ok++)
                  counts.failed++
                  return Effect.logWarning("backfill of a symbol failed; a rerun will retry it").pipe(
                    Effect.annotateLogs({ symbol: instrument.symbol, error })
                  )
                })
              )
            }, { concurrency: CONCURRENCY, discard: true })
          ).pipe(
            // Recorded inside the batch: a shutdown waiting for it still finds the run's counts up to date.
            Effect.andThen(Effect.suspend(() => {
              counts.done += batch.length
              return ctx.progress({ ...counts })
            }))
          ))
          const seconds = ((yield* Clock.currentTimeMillis) - started) / 1000
          // `[backfill] batch 5/80: ok 48/50 in 15.2 s`, as fields an operator can filter on.
          yield* Effect.logInfo(`batch ${b + 1}/${batches}: ok ${ok}/${batch.length} in ${seconds.toFixed(1)} s`).pipe(
            Effect.annotateLogs({
              step: "batch",
              batch: b + 1,
              batches,
              ok,
              symbols_in_batch: batch.length,
              duration_ms: Math.round(seconds * 1000),
              fetched_total: counts.fetched,
              written_total: counts.written,
              // Summed over the batch's symbols (which run CONCURRENCY at a time).
              ...stepFields(steps.totals())
            })
          )
          if (options?.onProgress !== undefined) yield* options.onProgress({ ...counts })
        }
        return { ...counts }
      })

      const resolve = (request: BackfillRequest) =>
        Effect.gen(function*() {
          if (request.symbols === undefined) return { instruments: yield* catalog.all, unknown: [] as Array<string> }
          const found = yield* Effect.forEach(request.symbols, (s) => Effect.option(catalog.lookup(s)))
          return {
            instruments: found.flatMap((i) => (Option.isSome(i) ? [i.value] : [])),
            unknown: request.symbols.filter((_, i) => Option.isNone(found[i]!))
          }
        })

      const job = (request: BackfillRequest, onProgress?: (counts: Counts) => Effect.Effect<void>) => (ctx: JobContext) =>
        Effect.gen(function*() {
          const { instruments, unknown } = yield* resolve(request)
          if (unknown.length > 0) {
            yield* Effect.logWarning("backfill skips unknown symbols").pipe(Effect.annotateLogs({ unknown: unknown.join(",") }))
          }
          const counts = yield* fill(instruments, () => ({ from: request.from, to: request.to }), ctx, {
            ratePerSecond: request.ratePerSecond,
            onProgress
          })
          return JobResult.ofSymbols({ ...counts, unknown: unknown.length })
        })

      const spec = (request: BackfillRequest, trigger: string) => ({
        kind: "backfill",
        trigger,
        params: { from: request.from, to: request.to, symbols: request.symbols?.length ?? "all", rate_per_second: request.ratePerSecond ?? null }
      })

      return Backfill.of({
        run: (request, trigger, onProgress) => runner.run(spec(request, trigger), job(request, onProgress)),
        start: (request, trigger) => runner.start(spec(request, trigger), job(request)),
        fill: (instruments, window, ctx, options) => fill(instruments, window, ctx, options)
      })
    })
  )
}

