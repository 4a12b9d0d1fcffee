import { Config, Context, Data, Duration, Effect, Exit, Layer, Option, Redacted, type Scope } from "effect"
import { Redis as PersistenceRedis } from "effect/persistence"
import { Redis } from "ioredis"
import { redisBreakerSettings } from "../Resilience/BreakerMachine.ts"
import { makeCircuitBreaker } from "../Resilience/CircuitBreaker.ts"

/** A Redis command of the auth feature that failed, timed out, or was not sent (breaker open). */
export class AuthRedisError extends Data.TaggedError("AuthRedisError")<{ readonly operation: string; readonly reason: string }> {}

/**
 * The auth feature's own Redis connections (commands, and a subscriber for
 * the revocation bus). Every command is timed out and sits behind a circuit
 * breaker: while Redis is down a call fails at once and the caller falls back
 * to PostgreSQL or process memory; nothing waits on a dead Redis.
 */
export class AuthRedis extends Context.Service<AuthRedis, {
  readonly enabled: boolean
  /** `{namespace}:auth:{suffix}`. */
  readonly key: (suffix: string) => string
  readonly command: <A>(operation: string, run: (client: Redis) => Promise<A>) => Effect.Effect<A, AuthRedisError>
  readonly publish: (message: string) => Effect.Effect<void>
  /** Runs `handler` for every message on the auth channel for the scope's lifetime; resolves once subscribed (or after 1 s). */
  readonly subscribe: (handler: (message: string) => void) => Effect.Effect<void, never, Scope.Scope>
}>()("@marketgate/server/Auth/AuthRedis") {
  static readonly layerNone = Layer.succeed(
    AuthRedis,
    AuthRedis.of({
      enabled: false,
      key: (suffix) => suffix,
      command: (operation) => Effect.fail(new AuthRedisError({ operation, reason: "no Redis configured" })),
      publish: () => Effect.void,
      subscribe: () => Effect.void
    })
  )

  static readonly layer = (options: { readonly url: Redacted.Redacted<string>; readonly namespace: string; readonly timeout: Duration.Duration }) =>
    Layer.effect(
      AuthRedis,
      Effect.gen(function*() {
        const open = (settings: Record<string, unknown>) =>
          Effect.acquireRelease(
            Effect.promise(async () => {
              const redis = new Redis(Redacted.value(options.url), {
                lazyConnect: true,
                connectTimeout: 1_000,
                retryStrategy: (times: number) => Math.min(times * 200, 2_000),
                ...settings
              })
              redis.on("error", () => {})
              await redis.connect().catch(() => {})
              return redis
            }),
            (redis) => Effect.promise(() => redis.quit().catch(() => redis.disconnect()))
          )
        const client = yield* open({ enableOfflineQueue: false, maxRetriesPerRequest: 0, enableAutoPipelining: true })
        const subscriber = yield* open({ enableOfflineQueue: true, maxRetriesPerRequest: null })
        const breaker = yield* makeCircuitBreaker(redisBreakerSettings, (t) =>
          t.to === "Open" && t.from === "Closed"
            ? Effect.logWarning("auth Redis unavailable; sessions, tokens and users are read from PostgreSQL")
            : t.to === "Closed"
            ? Effect.logInfo("auth Redis is back")
            : Effect.void)
        const channel = `${options.namespace}:auth:events`
        const command = <A>(operation: string, run: (client: Redis) => Promise<A>) =>
          breaker.execute(
            Effect.tryPromise({ try: () => run(client), catch: (e) => new AuthRedisError({ operation, reason: String(e) }) }).pipe(
              Effect.timeoutOrElse({
                duration: options.timeout,
                orElse: () => Effect.fail(new AuthRedisError({ operation, reason: `no reply within ${Duration.format(options.timeout)}` }))
              })
            ),
            (exit) => (Exit.isSuccess(exit) ? { _tag: "Success" } : { _tag: "Failure" }),
            () => new AuthRedisError({ operation, reason: "Redis is unavailable (breaker open)" })
          )
        return AuthRedis.of({
          enabled: true,
          key: (suffix) => `${options.namespace}:auth:${suffix}`,
          command,
          publish: (message) => Effect.ignore(command("publish", (c) => c.publish(channel, message))),
          subscribe: (handler) =>
            Effect.acquireRelease(
              Effect.sync(() => {
                const listener = (ch: string, message: string) => {
                  if (ch === channel) handler(message)
                }
                subscriber.on("message", listener)
                return { listener, subscribed: subscriber.subscribe(channel).catch(() => 0) }
              }),
              ({ listener }) => Effect.sync(() => void subscriber.off("message", listener))
            ).pipe(
              Effect.flatMap(({ subscribed }) => Effect.promise(() => subscribed)),
              Effect.timeoutOrElse({ duration: Duration.seconds(1), orElse: () => Effect.void }),
              Effect.asVoid
            )
        })
      })
    )

  /** `REDIS_URL` set: Redis; unset: none (process memory and PostgreSQL only). */
  static readonly layerConfig = Layer.unwrap(
    Effect.gen(function*() {
      const url = yield* Config.option(Config.Redacted("REDIS_URL"))
      if (Option.isNone(url) || Redacted.value(url.value).length === 0) return AuthRedis.layerNone
      const timeout = yield* Config.Duration("CACHE_L2_TIMEOUT").pipe(Config.withDefault(Duration.millis(100)))
      const namespace = yield* Config.String("CACHE_NAMESPACE").pipe(Config.withDefault("mg:v1"))
      return AuthRedis.layer({ url: url.value, namespace, timeout })
    })
  )
}

/**
 * effect/persistence's Redis service over this connection, for the
 * RateLimiter's Redis store: its commands share the timeout and the breaker.
 */
export const persistenceRedis = Layer.effect(
  PersistenceRedis.Redis,
  Effect.gen(function*() {
    const redis = yield* AuthRedis
    const send = <A = unknown>(command: string, ...args: ReadonlyArray<string>) =>
      redis.command(command, (c) => c.call(command, ...args) as Promise<A>).pipe(
        Effect.mapError((e) => new PersistenceRedis.RedisError({ cause: e }))
      )
    return yield* PersistenceRedis.make({
      send,
      subscribe: () => Effect.fail(new PersistenceRedis.RedisError({ cause: "the rate limiter does not subscribe" })),
      connect: Effect.succeed({ send, close: Effect.void })
    })
  })
)
