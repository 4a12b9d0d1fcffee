import { Config, Duration, Effect, Exit, Layer, Option, Redacted, Schema } from "effect"
import { Redis } from "ioredis"
import * as Prom from "prom-client"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"
import type { BreakerSettings } from "../Resilience/BreakerMachine.ts"
import { makeCircuitBreaker } from "../Resilience/CircuitBreaker.ts"
import { entryKey, fromWire, toWire } from "./CacheEntry.ts"
import { cacheKinds } from "./CachePolicy.ts"
import { type CacheTier, CacheTierError } from "./CacheTier.ts"
import { type Invalidation, RemoteCache } from "./RemoteCache.ts"

export interface RedisCacheOptions {
  readonly url: Redacted.Redacted<string>
  /** Key prefix; the format version is part of it (`mg:v1`). */
  readonly namespace: string
  /** Per command: a slow Redis must not slow requests down. */
  readonly timeout: Duration.Duration
}

/** Redis fails fast: three errors in a row open the breaker for 1 s, doubling up to 30 s. */
const breakerSettings: BreakerSettings = {
  consecutiveFailures: 3,
  failureRate: 0.5,
  windowSize: 20,
  minimumCalls: 10,
  openMs: 1_000,
  maxOpenMs: 30_000,
  halfOpenProbes: 1
}

const CONNECT_TIMEOUT_MS = 1_000

interface ConnectionSettings {
  readonly lazyConnect: boolean
  readonly enableOfflineQueue: boolean
  readonly maxRetriesPerRequest: number | null
  readonly connectTimeout: number
  readonly retryStrategy: (times: number) => number
}

/** Redis MATCH treats `*`, `?`, `[`, `]` and `\\` as pattern syntax; a prefix is literal. */
const globEscape = (text: string) => text.replace(/[*?[\]\\]/g, "\\$&")

// Deletes the lock only if it still holds our token (it may have expired and been taken over).
const UNLOCK = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`

const InvalidationMessage = Schema.fromJsonString(
  Schema.Struct({
    kind: Schema.Literals(cacheKinds),
    key: Schema.optionalKey(Schema.String),
    prefix: Schema.optionalKey(Schema.String),
    origin: Schema.String
  })
)

/**
 * The shared tier on Redis (ioredis). Commands time out quickly and sit
 * behind a circuit breaker: while Redis is down every call answers "nothing
 * shared" at once, the service keeps serving from L1, the store and the
 * providers, ioredis reconnects by itself, and the breaker's probe notices.
 * Each transition is logged once, not once per request.
 */
export const makeRedisRemoteCache = (options: RedisCacheOptions) =>
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
    const subscriber = yield* open({ ...connection, enableOfflineQueue: true, maxRetriesPerRequest: null })

    const breaker = yield* makeCircuitBreaker(breakerSettings, (t) => {
      up.set(t.to === "Closed" ? 1 : 0)
      if (t.to === "Open" && t.from === "Closed") {
        return Effect.logWarning("cache L2 (Redis) unavailable; serving from L1, the store and providers")
      }
      if (t.to === "Closed") return Effect.logInfo("cache L2 (Redis) is back")
      return Effect.void
    })

    /** One Redis command: timed out, behind the breaker, its failure a CacheTierError. */
    const command = <A>(operation: string, run: () => Promise<A>): Effect.Effect<A, CacheTierError> =>
      breaker.execute(
        Effect.tryPromise({ try: run, catch: (e) => new CacheTierError({ level: "l2", operation, reason: String(e) }) }).pipe(
          Effect.timeoutOrElse({
            duration: options.timeout,
            orElse: () => Effect.fail(new CacheTierError({ level: "l2", operation, reason: "timed out" }))
          }),
          Effect.tapError(() => Effect.sync(() => errors.inc({ operation })))
        ),
        (exit) => (Exit.isSuccess(exit) ? { _tag: "Success" } : { _tag: "Failure" }),
        () => new CacheTierError({ level: "l2", operation, reason: "Redis is unavailable (breaker open)" })
      )

    const key = (kind: Parameters<CacheTier["get"]>[0], k: string) => entryKey(options.namespace, kind, k)

    const tier: CacheTier = {
      level: "l2",
      get: (kind, k, codec, now) =>
        Effect.gen(function*() {
          const raw = yield* command("get", () => client.get(key(kind, k)))
          if (raw === null) return Option.none()
          const entry = yield* fromWire(raw, codec).pipe(
            Effect.mapError((e) => new CacheTierError({ level: "l2", operation: "decode", reason: e.message }))
          )
          return entry.staleUntil > now ? Option.some(entry) : Option.none()
        }),
      set: (kind, k, entry, now) =>
        Effect.asVoid(
          command("set", () => client.set(key(kind, k), toWire(entry), "PX", Math.max(1, entry.staleUntil - now)))
        ),
      delete: (kind, k) => Effect.asVoid(command("del", () => client.del(key(kind, k)))),
      deletePrefix: (kind, prefix) =>
        Effect.gen(function*() {
          // SCAN, never KEYS: the keyspace may be large and Redis single-threaded.
          // Each step is its own timed command, so a long sweep is not cut off
          // by one command's timeout (and does not run on after it).
          const pattern = `${globEscape(key(kind, prefix))}*`
          let cursor = "0"
          let deleted = 0
          do {
            const [next, keys] = yield* command("scan", () => client.scan(cursor, "MATCH", pattern, "COUNT", 500))
            cursor = next
            if (keys.length > 0) deleted += yield* command("del", () => client.del(...keys))
          } while (cursor !== "0")
          return deleted
        })
    }

    const lockKey = (kind: Parameters<CacheTier["get"]>[0], k: string) => `${options.namespace}:lock:${kind}:${k}`
    const channel = `${options.namespace}:invalidate`
    const hotKey = `${options.namespace}:hot`

    return RemoteCache.of({
      enabled: true,
      tier,
      tryLock: (kind, k, ttl) =>
        Effect.gen(function*() {
          const token = crypto.randomUUID()
          const ok = yield* command("lock", () => client.set(lockKey(kind, k), token, "PX", Duration.toMillis(ttl), "NX"))
          return ok === "OK" ? Option.some(token) : Option.none()
        }).pipe(Effect.orElseSucceed(() => Option.none<string>())),
      unlock: (kind, k, token) => command("unlock", () => client.eval(UNLOCK, 1, lockKey(kind, k), token)).pipe(Effect.ignore),
      isLocked: (kind, k) =>
        command("exists", () => client.exists(lockKey(kind, k))).pipe(
          Effect.map((n) => n > 0),
          Effect.orElseSucceed(() => false)
        ),
      publish: (message) => command("publish", () => client.publish(channel, JSON.stringify(message))).pipe(Effect.ignore),
      subscribe: (handler) =>
        Effect.gen(function*() {
          const decode = Schema.decodeUnknownOption(InvalidationMessage)
          const services = yield* Effect.context<never>()
          const listener = (ch: string, message: string) => {
            if (ch !== channel) return
            const parsed = decode(message)
            if (Option.isSome(parsed)) Effect.runForkWith(services)(handler(parsed.value as Invalidation))
          }
          // Awaited (briefly): an invalidation published just after start-up
          // must not be missed. If Redis is down the subscription is queued
          // and ioredis subscribes again when it reconnects.
          yield* Effect.acquireRelease(
            Effect.sync(() => {
              subscriber.on("message", listener)
              return subscriber.subscribe(channel).catch(() => 0)
            }),
            () => Effect.sync(() => void subscriber.off("message", listener))
          ).pipe(
            Effect.flatMap((subscribed) => Effect.promise(() => subscribed)),
            Effect.timeoutOrElse({ duration: Duration.millis(CONNECT_TIMEOUT_MS), orElse: () => Effect.void })
          )
        }),
      recordHits: (counts) =>
        command("hot", () => {
          const pipeline = client.pipeline()
          for (const [symbol, n] of counts) pipeline.zincrby(hotKey, n, symbol)
          return pipeline.exec()
        }).pipe(Effect.ignore),
      hottest: (n) => command("hottest", () => client.zrevrange(hotKey, 0, n - 1)).pipe(Effect.orElseSucceed(() => []))
    })
  })

export const layer = (options: RedisCacheOptions) => Layer.effect(RemoteCache, makeRedisRemoteCache(options))

/** `REDIS_URL` set: the Redis tier; unset: L1 only. */
export const layerConfig = Layer.unwrap(
  Effect.gen(function*() {
    const url = yield* Config.option(Config.Redacted("REDIS_URL"))
    if (Option.isNone(url) || Redacted.value(url.value).length === 0) return RemoteCache.layerNone
    const timeout = yield* Config.Duration("CACHE_L2_TIMEOUT").pipe(Config.withDefault(Duration.millis(100)))
    const namespace = yield* Config.String("CACHE_NAMESPACE").pipe(Config.withDefault("mg:v1"))
    return layer({ url: url.value, namespace, timeout })
  })
)
