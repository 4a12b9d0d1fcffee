import { Quote } from "@marketgate/domain/Quote"
import type { Symbol } from "@marketgate/domain/Symbol"
import { Config, Duration, Effect, Layer, Option, PubSub, Redacted, Schema } from "effect"
import { Redis } from "ioredis"
import { QuoteBus } from "./QuoteBus.ts"
import { StreamSettingsConfig } from "./StreamSettings.ts"

// KEYS: lease keys. ARGV: this instance, lease ms. 1 where this instance holds the lease afterwards.
const CLAIM = `
local out = {}
for i, key in ipairs(KEYS) do
  local owner = redis.call('GET', key)
  if not owner then
    redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
    out[i] = 1
  elseif owner == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out`

const RELEASE = `
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
return 0`

interface BusScripts {
  mgStreamClaim(n: number, ...args: Array<string>): Promise<Array<number>>
  mgStreamRelease(n: number, ...args: Array<string>): Promise<number>
}

interface ConnectionSettings {
  readonly enableOfflineQueue: boolean
  readonly maxRetriesPerRequest: number | null
  readonly commandTimeout?: number
}

const decodeQuotes = Schema.decodeUnknownOption(Schema.fromJsonString(Schema.Array(Quote)))

export interface RedisQuoteBusOptions {
  readonly url: Redacted.Redacted
  readonly namespace: string
  /** A lease not renewed for this long passes to another instance (its holder stopped). */
  readonly lease: Duration.Duration
}

/**
 * The bus over Redis, on connections of its own: a lease per symbol
 * (`<ns>:stream:{lease}:<symbol>`, renewed on every poll tick) decides which
 * instance polls it, and every change is published on `<ns>:stream:quotes`.
 * While Redis cannot be reached, each instance polls what it watches itself
 * and tells only its own subscribers: streams keep flowing, unshared.
 */
export const layer = (options: RedisQuoteBusOptions) =>
  Layer.effect(
    QuoteBus,
    Effect.gen(function*() {
      const url = Redacted.value(options.url)
      const instance = crypto.randomUUID()
      const channel = `${options.namespace}:stream:quotes`
      const leaseKey = (symbol: string) => `${options.namespace}:stream:{lease}:${symbol}`
      const leaseMs = String(Math.max(1000, Math.round(Duration.toMillis(options.lease))))
      const local = yield* Effect.acquireRelease(PubSub.sliding<Quote>(4096), PubSub.shutdown)

      const open = (settings: ConnectionSettings) =>
        Effect.acquireRelease(
          Effect.promise(async () => {
            const redis = new Redis(url, {
              lazyConnect: true,
              connectTimeout: 2000,
              retryStrategy: (times: number) => Math.min(times * 200, 2_000),
              ...settings
            })
            // Without a listener ioredis prints every refused reconnect.
            redis.on("error", () => {})
            await redis.connect().catch(() => {})
            return redis
          }),
          (redis) => Effect.promise(() => redis.quit().catch(() => redis.disconnect()))
        )
      const commands = yield* open({ enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500 })
      commands.defineCommand("mgStreamClaim", { lua: CLAIM })
      commands.defineCommand("mgStreamRelease", { lua: RELEASE })
      const scripts = commands as unknown as BusScripts
      const subscriber = yield* open({ enableOfflineQueue: true, maxRetriesPerRequest: null })
      subscriber.on("message", (from: string, message: string) => {
        if (from !== channel) return
        const quotes = decodeQuotes(message)
        if (Option.isSome(quotes)) for (const q of quotes.value) PubSub.publishUnsafe(local, q)
      })
      yield* Effect.promise(() => subscriber.subscribe(channel).catch(() => 0))

      let degraded = false
      const noteRedis = (ok: boolean) =>
        ok === !degraded ? Effect.void : Effect.suspend(() => {
          degraded = !ok
          return ok
            ? Effect.logInfo("quote streams share polls over Redis again")
            : Effect.logWarning("Redis unreachable: each instance polls its own streams' symbols until it is back")
        })

      const claim = (symbols: ReadonlyArray<Symbol>) =>
        symbols.length === 0 ? Effect.succeed([]) : Effect.tryPromise(() =>
          scripts.mgStreamClaim(symbols.length, ...symbols.map(leaseKey), instance, leaseMs)
        ).pipe(
          Effect.map((held) => symbols.filter((_, i) => held[i] === 1)),
          Effect.tap(() => noteRedis(true)),
          // Nobody can be told who polls: poll everything watched here.
          Effect.catch(() => Effect.as(noteRedis(false), symbols))
        )

      const release = (symbols: ReadonlyArray<Symbol>) =>
        symbols.length === 0 ? Effect.void : Effect.tryPromise(() =>
          scripts.mgStreamRelease(symbols.length, ...symbols.map(leaseKey), instance)
        ).pipe(Effect.ignore)

      const publish = (quotes: ReadonlyArray<Quote>) =>
        quotes.length === 0 ? Effect.void : Effect.tryPromise(() => commands.publish(channel, JSON.stringify(quotes))).pipe(
          Effect.asVoid,
          Effect.catch(() => PubSub.publishAll(local, quotes).pipe(Effect.asVoid))
        )

      return QuoteBus.of({ claim, release, publish, subscribe: PubSub.subscribe(local) })
    })
  )

/** Over Redis when `REDIS_URL` is set (namespace `CACHE_NAMESPACE`), else on its own. */
export const layerConfig = Layer.unwrap(
  Effect.gen(function*() {
    const url = yield* Config.option(Config.Redacted("REDIS_URL"))
    if (Option.isNone(url)) return QuoteBus.layerLocal
    const namespace = yield* Config.String("CACHE_NAMESPACE").pipe(Config.withDefault("mg:v1"))
    const settings = yield* StreamSettingsConfig
    return layer({ url: url.value, namespace, lease: Duration.times(settings.pollInterval, 3) })
  })
)
