import type { SourceHealth } from "@marketgate/domain/SourceHealth"
import { Clock, Duration, Effect, Exit, Ref, Schedule, Semaphore } from "effect"
import { isBulk, type MarketDataSource, type Operation, SourceError } from "../MarketDataSource.ts"
import { SourceMetrics } from "../SourceMetrics.ts"
import { makeAdaptiveRateLimiter } from "./AdaptiveRateLimiter.ts"
import * as Machine from "../../Resilience/BreakerMachine.ts"
import { makeCircuitBreaker } from "../../Resilience/CircuitBreaker.ts"
import type { SourceSettings } from "./SourceSettings.ts"
import { countProviderCall, recordStep } from "../../Observability/StepTimings.ts"

type Source = MarketDataSource["Service"]

/** A provider behind its policies, with the health figures the router scores it by. */
export interface GuardedSource {
  readonly settings: SourceSettings
  readonly source: Source
  /** Its breaker would admit a call and it has not asked us to back off. */
  readonly available: Effect.Effect<boolean>
  /** Its breaker's open time is over: the next call is the probe that can close it. */
  readonly probing: Effect.Effect<boolean>
  readonly latencyEwmaMs: Effect.Effect<number | undefined>
  /** Failures among the recent calls (the last 50), and how many calls that is. */
  readonly recent: Effect.Effect<{ readonly failures: number; readonly calls: number }>
  readonly health: Effect.Effect<SourceHealth>
}

const EWMA_ALPHA = 0.2
const ERROR_WINDOW = 50

/** Failures that say the provider is unwell; the rest (unknown symbol, unsupported) say nothing about it. */
const countsAgainst = (error: SourceError) =>
  error.reason === "Unavailable" || error.reason === "Timeout" || error.reason === "BadResponse"

const outcomeLabel = (exit: Exit.Exit<unknown, SourceError>) => {
  if (Exit.isSuccess(exit)) return "success"
  const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
  return failure === undefined ? "defect" : failure.error.reason.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase()
}

const stateName = (tag: Machine.StateName): SourceHealth["breaker"]["state"] =>
  tag === "Closed" ? "closed" : tag === "HalfOpen" ? "half_open" : "open"

/**
 * Declares the policies around one provider, outermost first: bulkhead
 * (Semaphore: at most `maxConcurrency` calls in flight), adaptive rate limit
 * (token bucket, cut on 429), circuit breaker, then per attempt a timeout,
 * with retries (exponential backoff with jitter) for retryable failures only.
 * Every call is counted, timed and traced.
 */
export const guard = (inner: Source, settings: SourceSettings) =>
  Effect.gen(function*() {
    const metrics = yield* SourceMetrics
    const name = inner.name
    const bulkhead = yield* Semaphore.make(settings.maxConcurrency)
    const limiter = yield* makeAdaptiveRateLimiter(name, settings.rateLimit)
    const recent = yield* Ref.make<ReadonlyArray<boolean>>([])
    const breaker = yield* makeCircuitBreaker(settings.breaker, (t) =>
      Effect.gen(function*() {
        // A successful probe shows the provider recovered: its old failures no longer count.
        if (t.to === "Closed") yield* Ref.set(recent, [])
        metrics.breakerTransitions.inc({ source: name, from: stateName(t.from), to: stateName(t.to) })
        metrics.breakerState.set({ source: name }, Machine.gaugeValue(t.to))
        const log = t.to === "Open" ? Effect.logWarning : Effect.logInfo
        yield* log(`circuit breaker of ${name}: ${stateName(t.from)} → ${stateName(t.to)}`).pipe(
          Effect.annotateLogs({ source: name, from: stateName(t.from), to: stateName(t.to) })
        )
      }))
    metrics.breakerState.set({ source: name }, 0)
    // Every transition a breaker can make, at 0 from the start: increase() then sees the first one.
    for (const [from, to] of [["closed", "open"], ["open", "half_open"], ["half_open", "closed"], ["half_open", "open"]] as const) {
      metrics.breakerTransitions.inc({ source: name, from, to }, 0)
    }
    metrics.rateLimit.set({ source: name }, settings.rateLimit.maxPerSecond)

    const ewma = yield* Ref.make<number | undefined>(undefined)
    const calls = yield* Ref.make({ success: 0, failure: 0, rejected: 0 })

    const retrySchedule = Schedule.exponential(settings.retryBase).pipe(
      Schedule.jittered,
      Schedule.setInputType<SourceError>(),
      Schedule.while(({ input }) => input.retryable),
      Schedule.upTo({ times: settings.retries })
    )

    const attempt = <A>(operation: Operation, call: Effect.Effect<A, SourceError>, attempts: Ref.Ref<number>) =>
      Effect.gen(function*() {
        const n = yield* Ref.updateAndGet(attempts, (x) => x + 1)
        yield* Effect.annotateCurrentSpan({ "retry.attempt": n })
        return yield* call.pipe(
          Effect.timeoutOrElse({
            // A listing or a full-market snapshot pages through thousands of rows.
            duration: isBulk(operation) ? settings.listingTimeout : settings.timeout,
            orElse: () =>
              Effect.fail(
                new SourceError({
                  source: name,
                  operation,
                  reason: "Timeout",
                  message: `${name} did not answer within the timeout`,
                  retryable: true
                })
              )
          })
        )
      }).pipe(Effect.withSpan("datasource.attempt", { attributes: { "datasource.name": name, operation } }))

    const run = <A>(operation: Operation, call: Effect.Effect<A, SourceError>): Effect.Effect<A, SourceError> =>
      Effect.gen(function*() {
        const started = yield* Clock.currentTimeNanos
        const attempts = yield* Ref.make(0)
        yield* Effect.annotateCurrentSpan({ "breaker.state": stateName((yield* breaker.state)._tag) })
        const exit = yield* Effect.exit(
          bulkhead.withPermit(
            limiter.acquire(operation).pipe(
              // Time spent queued for the bulkhead and the rate limiter, for job step logs.
              Effect.andThen(Effect.flatMap(Clock.currentTimeNanos, (now) => recordStep("pool_wait", Number(now - started) / 1e6))),
              Effect.andThen(countProviderCall),
              Effect.andThen(
                breaker.execute(
                  attempt(operation, call, attempts).pipe(Effect.retry(retrySchedule)),
                  (e) =>
                    Exit.isSuccess(e)
                      ? { _tag: "Success" }
                      : e.cause.reasons.some((r) => r._tag === "Fail" && countsAgainst(r.error))
                      ? { _tag: "Failure" }
                      : { _tag: "Ignored" },
                  (retryAfterMs) =>
                    new SourceError({
                      source: name,
                      operation,
                      reason: "CircuitOpen",
                      message: `${name} is failing; its circuit breaker is open`,
                      retryable: false,
                      retryAfter: Duration.millis(retryAfterMs)
                    })
                )
              )
            )
          )
        )
        const seconds = Number((yield* Clock.currentTimeNanos) - started) / 1e9
        const outcome = outcomeLabel(exit)
        metrics.requests.inc({ source: name, operation, outcome })
        metrics.duration.observe({ source: name, operation, outcome }, seconds)
        yield* Effect.annotateCurrentSpan({ "retry.attempt": yield* Ref.get(attempts), outcome })

        const error = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail")?.error : undefined
        if (error === undefined) {
          yield* Ref.update(ewma, (e) => (e === undefined ? seconds * 1000 : EWMA_ALPHA * seconds * 1000 + (1 - EWMA_ALPHA) * e))
          yield* limiter.onSuccess
        } else if (error.reason === "RateLimited") {
          yield* limiter.onThrottled(error.retryAfter)
          yield* Effect.logWarning(`${name} throttled us; backing off`).pipe(
            Effect.annotateLogs({ source: name, operation, retry_after_ms: error.retryAfter === undefined ? null : Duration.toMillis(error.retryAfter) })
          )
        }
        const rejected = error !== undefined && (error.reason === "CircuitOpen" || error.reason === "Throttled")
        if (!rejected && (error === undefined || error.reason !== "NotFound")) {
          const failed = error !== undefined && (countsAgainst(error) || error.reason === "RateLimited")
          yield* Ref.update(recent, (r) => [...r, failed].slice(-ERROR_WINDOW))
        }
        yield* Ref.update(calls, (c) =>
          rejected
            ? { ...c, rejected: c.rejected + 1 }
            : error === undefined
            ? { ...c, success: c.success + 1 }
            : { ...c, failure: c.failure + 1 })
        metrics.rateLimit.set({ source: name }, (yield* limiter.state).perSecond)
        return yield* exit
      }).pipe(Effect.withSpan(`datasource.${operation}`, { attributes: { "datasource.name": name } }))

    const source: Source = {
      name,
      capabilities: inner.capabilities,
      instruments: run("instruments", inner.instruments),
      instrument: (symbol) => run("instrument", inner.instrument(symbol)),
      dailyBars: (symbol, from, to) => run("dailyBars", inner.dailyBars(symbol, from, to)),
      intradayBars: (symbol, interval, from, to) => run("intradayBars", inner.intradayBars(symbol, interval, from, to)),
      quotes: (symbols) => run("quotes", inner.quotes(symbols)),
      snapshot: (market) => run("snapshot", inner.snapshot(market)),
      moneyFlow: (market) => run("moneyFlow", inner.moneyFlow(market))
    }

    const recentCounts = Effect.map(Ref.get(recent), (r) => ({ failures: r.filter((f) => f).length, calls: r.length }))
    const errorRate = Effect.map(recentCounts, ({ calls, failures }) => (calls === 0 ? 0 : failures / calls))

    const health = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const b = yield* breaker.state
      const l = yield* limiter.state
      const latency = yield* Ref.get(ewma)
      return {
        name,
        priority: settings.priority + 1,
        tier: settings.tier,
        cost: settings.cost,
        operations: [...inner.capabilities.operations],
        markets: [...inner.capabilities.markets],
        breaker: {
          state: stateName(b._tag),
          consecutive_failures: b._tag === "Closed" ? b.consecutive : 0,
          retry_after_ms: b._tag === "Open" ? Math.max(0, b.retryAt - now) : null
        },
        latency_ewma_ms: latency === undefined ? null : Math.round(latency * 100) / 100,
        error_rate: Math.round((yield* errorRate) * 1000) / 1000,
        calls: yield* Ref.get(calls),
        rate_limit: {
          per_second: Math.round(l.perSecond * 100) / 100,
          max_per_second: l.maxPerSecond,
          paused_until: l.pausedUntil !== undefined && l.pausedUntil > now ? new Date(l.pausedUntil).toISOString() : null,
          throttled: l.throttled
        }
      } satisfies SourceHealth
    })

    return {
      settings,
      source,
      available: Effect.map(Effect.all([breaker.admits, limiter.paused]), ([admits, paused]) => admits && !paused),
      probing: breaker.probing,
      latencyEwmaMs: Ref.get(ewma),
      recent: recentCounts,
      health
    } satisfies GuardedSource
  })
