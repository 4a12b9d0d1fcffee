/**
 * The two caches under test, behind one Promise-returning get-or-set, so the
 * driver measures both from the caller's side in exactly the same way.
 *
 * - marketgate: `MarketCache` (L1 memory + Redis L2 behind its breaker and
 *   100 ms command timeout), built as an Effect layer and run in one
 *   long-lived `ManagedRuntime`; each operation is `runtime.runPromise` of
 *   `getOrLoad`.
 * - bentocache: `BentoCache` with a memory L1 (same entry and byte bounds)
 *   and a Redis L2 (its own ioredis connection, 100 ms command timeout, no
 *   offline queue, like marketgate's), same fresh TTL and the same total
 *   lifetime (bentocache's `grace` is the whole physical lifetime of an
 *   entry, marketgate's is counted after `fresh`).
 */
import { Quote } from "@marketgate/domain/Quote"
import type { Symbol } from "@marketgate/domain/Symbol"
import { codecOf } from "@marketgate/server/Cache/CacheEntry"
import { defaultPolicies } from "@marketgate/server/Cache/CachePolicy"
import { MarketCache } from "@marketgate/server/Cache/MarketCache"
import * as RedisRemoteCache from "@marketgate/server/Cache/RedisRemoteCache"
import { MetricsRegistry } from "@marketgate/server/Observability/MetricsRegistry"
import { BentoCache, bentostore } from "bentocache"
import { memoryDriver } from "bentocache/drivers/memory"
import { redisDriver } from "bentocache/drivers/redis"
import { Duration, Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { Redis } from "ioredis"

export type Library = "marketgate" | "bentocache"

export interface TargetConfig {
  readonly redisUrl: string
  /** Redis key prefix of this target; everything it writes lives under `<prefix>:`. */
  readonly prefix: string
  readonly freshMs: number
  /** Servable-stale window after `fresh` (marketgate's meaning). */
  readonly graceMs: number
  readonly l1MaxEntries: number
  readonly l1MaxBytes: number
  /** Redis command timeout, both libraries. */
  readonly redisTimeoutMs: number
  /** The simulated provider: the same function for both libraries. */
  readonly load: (symbol: Symbol) => Promise<Quote>
}

export interface TargetStats {
  /** Redis commands the library saw fail or time out (answered as misses). */
  readonly l2Errors: number
  /** Anything else the library reported at warn/error level. */
  readonly warnings: number
}

export interface CacheTarget {
  readonly library: Library
  readonly getOrSet: (symbol: Symbol) => Promise<Quote>
  readonly stats: () => Promise<TargetStats>
  readonly close: () => Promise<void>
}

const codec = codecOf(Quote)

export const makeMarketgate = async (config: TargetConfig): Promise<CacheTarget> => {
  const layer = MarketCache.layer({
    policies: { ...defaultPolicies, quote: { fresh: Duration.millis(config.freshMs), grace: Duration.millis(config.graceMs) } },
    maxEntries: config.l1MaxEntries,
    maxBytes: config.l1MaxBytes,
    namespace: config.prefix,
    // The service's own operational settings (MarketCache.ts `operational`).
    lockTtl: Duration.seconds(5),
    lockWait: Duration.seconds(3),
    refreshConcurrency: 5,
    negativeTtl: Duration.seconds(30)
  }).pipe(
    Layer.provideMerge(
      RedisRemoteCache.layer({
        url: Redacted.make(config.redisUrl),
        namespace: config.prefix,
        timeout: Duration.millis(config.redisTimeoutMs)
      })
    ),
    Layer.provideMerge(MetricsRegistry.layerTest)
  )
  const runtime = ManagedRuntime.make(layer)
  const cache = await runtime.runPromise(Effect.gen(function*() {
    return yield* MarketCache
  }))
  let warnings = 0
  const load = config.load
  return {
    library: "marketgate",
    getOrSet: (symbol) => runtime.runPromise(cache.getOrLoad({ kind: "quote", key: symbol, codec }, Effect.promise(() => load(symbol)))),
    stats: () =>
      runtime.runPromise(Effect.gen(function*() {
        const { registry } = yield* MetricsRegistry
        const metric = registry.getSingleMetric("cache_l2_errors_total")
        const values = metric === undefined ? [] : (yield* Effect.promise(() => Promise.resolve(metric.get()))).values
        const failedRefreshes = registry.getSingleMetric("cache_refreshes_total")
        const refreshValues = failedRefreshes === undefined
          ? []
          : (yield* Effect.promise(() => Promise.resolve(failedRefreshes.get()))).values
        warnings = refreshValues.filter((v) => v.labels["outcome"] === "failure").reduce((n, v) => n + v.value, 0)
        return { l2Errors: values.reduce((n, v) => n + v.value, 0), warnings }
      })),
    close: () => runtime.dispose()
  }
}

export const makeBentocache = async (config: TargetConfig): Promise<CacheTarget> => {
  const redis = new Redis(config.redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    commandTimeout: config.redisTimeoutMs
  })
  redis.on("error", () => {})
  await redis.connect()
  let l2Errors = 0
  let warnings = 0
  const noop = () => {}
  // Bentocache logs an L2 failure at error level ("(get) failed on remote cache") and a failed factory at warn.
  const logger = {
    trace: noop,
    debug: noop,
    info: noop,
    warn: () => void warnings++,
    error: () => void l2Errors++,
    fatal: () => void l2Errors++,
    child: () => logger
  }
  const bento = new BentoCache({
    default: "quotes",
    prefix: config.prefix,
    logger,
    // marketgate's breaker opens for 1 s (doubling) after consecutive failures; bentocache's is a fixed pause.
    l2CircuitBreakerDuration: 1_000,
    stores: {
      quotes: bentostore()
        .useL1Layer(memoryDriver({ maxItems: config.l1MaxEntries, maxSize: config.l1MaxBytes }))
        .useL2Layer(redisDriver({ connection: redis }))
    }
  })
  const ttl = config.freshMs
  const grace = config.freshMs + config.graceMs
  const load = config.load
  return {
    library: "bentocache",
    getOrSet: (symbol) => bento.getOrSet({ key: symbol, factory: () => load(symbol), ttl, grace }),
    stats: async () => ({ l2Errors, warnings }),
    close: async () => {
      await bento.disconnectAll()
      await redis.quit().catch(() => redis.disconnect())
    }
  }
}
