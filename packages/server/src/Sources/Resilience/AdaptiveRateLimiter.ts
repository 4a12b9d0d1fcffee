import { Clock, Duration, Effect, Ref } from "effect"
import { RateLimiter } from "effect/persistence"
import { SourceError } from "../MarketDataSource.ts"

export interface RateLimitSettings {
  /** Requests per second when the provider is happy. */
  readonly maxPerSecond: number
  /** The rate is never cut below this. */
  readonly minPerSecond: number
  /** Additive increase per successful call (requests per second). */
  readonly increasePerSuccess: number
  /** Pause after a 429 without a Retry-After. */
  readonly defaultBackoff: Duration.Duration
  /**
   * How long a call may queue for its next token. A burst a little above the
   * rate waits a few milliseconds instead of failing its request; a call that
   * would wait longer fails `Throttled` at once and the router moves on.
   */
  readonly maxWait: Duration.Duration
}

export interface RateLimitState {
  readonly perSecond: number
  readonly maxPerSecond: number
  /** Epoch ms until which the provider asked us not to call, if it did. */
  readonly pausedUntil: number | undefined
  readonly throttled: number
}

export interface AdaptiveRateLimiter {
  /** Takes a token, or fails `Throttled` (paused by the provider, or our rate spent). */
  readonly acquire: (operation: string) => Effect.Effect<void, SourceError>
  readonly onSuccess: Effect.Effect<void>
  /** The provider answered 429: halve the rate and pause for its Retry-After. */
  readonly onThrottled: (retryAfter: Duration.Duration | undefined) => Effect.Effect<void>
  readonly state: Effect.Effect<RateLimitState>
  readonly paused: Effect.Effect<boolean>
}

/**
 * A token bucket (effect/persistence `RateLimiter`) whose rate adapts, AIMD
 * style: multiplicative decrease when the provider throttles us, additive
 * increase on every success, so a throttling provider is backed off
 * automatically and regains its rate as it recovers.
 */
export const makeAdaptiveRateLimiter = (source: string, settings: RateLimitSettings) =>
  Effect.gen(function*() {
    const limiter = yield* RateLimiter.RateLimiter
    const state = yield* Ref.make<RateLimitState>({
      perSecond: settings.maxPerSecond,
      maxPerSecond: settings.maxPerSecond,
      pausedUntil: undefined,
      throttled: 0
    })
    const key = `datasource:${source}`

    const throttled = (operation: string, message: string, retryAfter: Duration.Duration) =>
      new SourceError({ source, operation, reason: "Throttled", message, retryable: false, retryAfter })

    const consume = (limit: number, onExceeded: "fail" | "delay") =>
      limiter.consume({ algorithm: "token-bucket", key, limit, window: "1 second", onExceeded })

    const acquire = (operation: string) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const s = yield* Ref.get(state)
        if (s.pausedUntil !== undefined && now < s.pausedUntil) {
          return yield* throttled(operation, `${source} asked us to back off`, Duration.millis(s.pausedUntil - now))
        }
        const limit = Math.max(1, Math.floor(s.perSecond))
        // First ask without queueing: the bucket's backlog of reservations
        // counts, so `retryAfter` is this caller's place in the queue.
        const wait = yield* consume(limit, "fail").pipe(
          Effect.as(Duration.zero),
          Effect.catchReason("RateLimiterError", "RateLimitExceeded", (e) => Effect.succeed(e.retryAfter), () => Effect.succeed(Duration.zero))
        )
        if (Duration.isZero(wait)) return
        if (Duration.isGreaterThan(wait, settings.maxWait)) {
          return yield* throttled(operation, `our rate limit for ${source} is spent`, wait)
        }
        // Close enough: reserve the next free token (first come, first served) and wait for it.
        const reserved = yield* consume(limit, "delay").pipe(
          Effect.map((r) => r.delay),
          // The limiter's store failing must not stop traffic: allow the call.
          Effect.orElseSucceed(() => Duration.zero)
        )
        yield* Effect.sleep(reserved)
      })

    const onSuccess = Ref.update(state, (s) => ({
      ...s,
      perSecond: Math.min(settings.maxPerSecond, s.perSecond + settings.increasePerSuccess)
    }))

    const onThrottled = (retryAfter: Duration.Duration | undefined) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const pause = Duration.toMillis(retryAfter ?? settings.defaultBackoff)
        yield* Ref.update(state, (s) => ({
          ...s,
          perSecond: Math.max(settings.minPerSecond, s.perSecond / 2),
          pausedUntil: Math.max(s.pausedUntil ?? 0, now + pause),
          throttled: s.throttled + 1
        }))
      })

    const paused = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const s = yield* Ref.get(state)
      return s.pausedUntil !== undefined && now < s.pausedUntil
    })

    return { acquire, onSuccess, onThrottled, state: Ref.get(state), paused } satisfies AdaptiveRateLimiter
  })
