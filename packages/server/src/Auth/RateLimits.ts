import { Context, Duration, Effect, Layer } from "effect"
import { RateLimiter } from "effect/persistence"
import { AuthRedis, persistenceRedis } from "./AuthRedis.ts"

/** One consumption: allowed with what is left, or refused until `retryAfterMs` has passed. */
export type RateDecision =
  | { readonly allowed: true; readonly limit: number; readonly remaining: number; readonly resetMs: number }
  | { readonly allowed: false; readonly limit: number; readonly remaining: 0; readonly resetMs: number; readonly retryAfterMs: number }

export interface RateRequest {
  readonly key: string
  readonly limit: number
  readonly window: Duration.Duration
}

/** The RateLimit-* headers (IETF draft-ietf-httpapi-ratelimit-headers) and, when refused, Retry-After. */
export const rateHeaders = (decision: RateDecision): Record<string, string> => {
  const reset = String(Math.max(0, Math.ceil(decision.resetMs / 1000)))
  const headers: Record<string, string> = {
    "ratelimit-limit": String(decision.limit),
    "ratelimit-remaining": String(Math.max(0, Math.floor(decision.remaining))),
    "ratelimit-reset": reset
  }
  if (!decision.allowed) headers["retry-after"] = String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)))
  return headers
}

/**
 * Fixed-window quotas through effect/persistence's RateLimiter: on Redis
 * when it is configured (every instance counts against the same quota), in
 * process memory otherwise. When Redis fails a request is counted in this
 * instance's memory instead: a Redis outage never fails a request, and the
 * quota then holds per instance.
 */
export class RateLimits extends Context.Service<RateLimits, {
  readonly consume: (request: RateRequest) => Effect.Effect<RateDecision>
}>()("@marketgate/server/Auth/RateLimits") {
  static readonly make = Effect.gen(function*() {
    const redis = yield* AuthRedis
    const local = yield* RateLimiter.make.pipe(Effect.provide(RateLimiter.layerStoreMemory))
    const shared = redis.enabled
      ? yield* RateLimiter.make.pipe(
        Effect.provide(RateLimiter.layerStoreRedis({ prefix: redis.key("ratelimit:") })),
        Effect.provide(persistenceRedis)
      )
      : local
    const decide = (limiter: RateLimiter.RateLimiter, request: RateRequest) =>
      limiter.consume({ algorithm: "fixed-window", onExceeded: "fail", window: request.window, limit: request.limit, key: request.key }).pipe(
        Effect.map((r): RateDecision => ({ allowed: true, limit: r.limit, remaining: r.remaining, resetMs: Duration.toMillis(r.resetAfter) }))
      )
    const consume = (request: RateRequest): Effect.Effect<RateDecision> =>
      decide(shared, request).pipe(
        Effect.catch((error) => {
          const reason = error.reason
          if (reason._tag === "RateLimitExceeded") {
            const retry = Duration.toMillis(reason.retryAfter)
            return Effect.succeed<RateDecision>({ allowed: false, limit: request.limit, remaining: 0, resetMs: retry, retryAfterMs: retry })
          }
          // The shared store failed: count here instead.
          return shared === local ? Effect.die(error) : consume0(request)
        })
      )
    const consume0 = (request: RateRequest): Effect.Effect<RateDecision> =>
      decide(local, request).pipe(
        Effect.catch((error) => {
          const reason = error.reason
          const retry = reason._tag === "RateLimitExceeded" ? Duration.toMillis(reason.retryAfter) : 1000
          return Effect.succeed<RateDecision>({ allowed: false, limit: request.limit, remaining: 0, resetMs: retry, retryAfterMs: retry })
        })
      )
    return RateLimits.of({ consume })
  })

  static readonly layer = Layer.effect(RateLimits, RateLimits.make)
}
