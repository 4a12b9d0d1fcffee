import { Context, Duration, Effect, Exit, Layer, Redacted } from "effect"
import { Redis } from "ioredis"
import * as Prom from "prom-client"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"
import { type Outcome, redisBreakerSettings } from "../Resilience/BreakerMachine.ts"
import { makeCircuitBreaker } from "../Resilience/CircuitBreaker.ts"
import { entryKey } from "./CacheEntry.ts"
import type { CacheKind } from "./CachePolicy.ts"
import { CacheTierError } from "./CacheTier.ts"

export interface RedisCacheOptions {
  readonly url: Redacted.Redacted<string>
  /** Key prefix; the format version is part of it (`mg:v1`). */
  readonly namespace: string
  /** Per command: a slow Redis must not slow requests down. */
  readonly timeout: Duration.Duration
}

export const CONNECT_TIMEOUT_MS = 1_000

const success: Outcome = { _tag: "Success" }
const failure: Outcome = { _tag: "Failure" }

interface ConnectionSettings {
  readonly lazyConnect: boolean
  readonly enableOfflineQueue: boolean
  readonly maxRetriesPerRequest: number | null
  readonly connectTimeout: number
  readonly enableAutoPipelining: boolean
  readonly retryStrategy: (times: number) => number
}

/**
 * The cache's Redis connections (commands, and a subscriber for the
 * invalidation bus) and the one way to send a command: timed out, behind a
 * circuit breaker, its failure a CacheTierError (counted). While Redis is
 * down every call fails at once, the service keeps serving from L1, the store
 * and the providers, ioredis reconnects by itself, and the breaker's probe
 * notices. Each transition is logged once, not once per request.
 */
export class RedisCacheClient extends Context.Service<RedisCacheClient, {
  readonly client: Redis
  readonly subscriber: Redis
  readonly namespace: string
  readonly command: <A>(operation: string, run: () => Promise<A>) => Effect.Effect<A, CacheTierError>
  /** `cache_l2_errors_total{operation}`. */
  readonly countError: (operation: string) => void
  readonly entryKey: (kind: CacheKind, key: string) => string
  readonly lockKey: (kind: CacheKind, key: string) => string
}>()("@marketgate/server/Cache/RedisCacheClient") {
  static readonly layer = (options: RedisCacheOptions) =>
    Layer.effect(
      RedisCacheClient,
      Effect.gen(function*() {
        const { registry } = yield* MetricsRegistry
        const errors = new Prom.Counter({
          name: "cache_l2_errors_total",
          help: "Redis commands that failed or timed out (answered as a miss)",
          labelNames: ["operation"],
          registers: [registry]
        })
        const up = new Prom.Gauge({ name: "cache_l2_up", help: "1 while the Redis tier's breaker is closed", registers: [registry] })
        up.set(1)
        const url = Redacted.value(options.url)
        const connection: ConnectionSettings = {
          lazyConnect: true,
          // Fail at once while disconnected instead of queueing: the breaker decides.
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          connectTimeout: CONNECT_TIMEOUT_MS,
          // Commands issued in one tick go out in one write: L1 misses of
          // concurrent requests share a round trip instead of a syscall each.
          enableAutoPipelining: true,
          retryStrategy: (times: number) => Math.min(times * 200, 2_000)
        }
        /**
         * Opens a connection and waits (up to `connectTimeout`) for it to be ready,
         * so the first commands do not fail and trip the breaker. A Redis that is
         * down does not stop the service starting: ioredis keeps reconnecting.
         */
        const open = (settings: ConnectionSettings) =>
          Effect.acquireRelease(
            Effect.promise(async () => {
              const redis = new Redis(url, settings)
              // Without a listener ioredis prints every refused reconnect.
              redis.on("error", () => {})
              await redis.connect().catch(() => {})
              return redis
            }),
            (redis) => Effect.promise(() => redis.quit().catch(() => redis.disconnect()))
          )
        const client = yield* open(connection)
        // Subscribing waits for the connection: its commands may queue.
        const subscriber = yield* open({ ...connection, enableOfflineQueue: true, maxRetriesPerRequest: null, enableAutoPipelining: false })

        const breaker = yield* makeCircuitBreaker(redisBreakerSettings, (t) => {
          up.set(t.to === "Closed" ? 1 : 0)
          if (t.to === "Open" && t.from === "Closed") {
            return Effect.logWarning("cache L2 (Redis) unavailable; serving from L1, the store and providers")
          }
          if (t.to === "Closed") return Effect.logInfo("cache L2 (Redis) is back")
          return Effect.void
        })
        const classify = (exit: Exit.Exit<unknown, unknown>) => (Exit.isSuccess(exit) ? success : failure)
        const unavailable = (operation: string) => () =>
          new CacheTierError({ level: "l2", operation, reason: "Redis is unavailable (breaker open)" })

        /**
         * Fails the command when Redis has not answered within `options.timeout`.
         * The timer yields once before it counts: when a burst of work blocked the
         * event loop past the deadline, a reply that arrived meanwhile is read
         * first, so only a slow Redis is a timeout, not a busy process.
         */
        const expiry = (operation: string) =>
          Effect.sleep(options.timeout).pipe(
            Effect.andThen(Effect.yieldNow),
            Effect.andThen(Effect.failSync(() => new CacheTierError({ level: "l2", operation, reason: `no reply within ${Duration.format(options.timeout)}` })))
          )

        const command = <A>(operation: string, run: () => Promise<A>): Effect.Effect<A, CacheTierError> =>
          breaker.execute(
            Effect.raceFirst(
              Effect.tryPromise({ try: run, catch: (e) => new CacheTierError({ level: "l2", operation, reason: String(e) }) }),
              expiry(operation)
            ).pipe(Effect.tapError(() => Effect.sync(() => errors.inc({ operation })))),
            classify,
            unavailable(operation)
          )

        return RedisCacheClient.of({
          client,
          subscriber,
          namespace: options.namespace,
          command,
          countError: (operation) => errors.inc({ operation }),
          entryKey: (kind, key) => entryKey(options.namespace, kind, key),
          lockKey: (kind, key) => `${options.namespace}:lock:${kind}:${key}`
        })
      })
    )
}
