import { Config, Context, Duration, Effect, FiberSet, Layer } from "effect"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"
import { type CacheCore, type CacheSpec, type LoadOptions, type MarketCacheOptions } from "./CacheCore.ts"
import type { CacheCodec, CacheEntry } from "./CacheEntry.ts"
import { makeCacheMetrics } from "./CacheMetrics.ts"
import { type CacheKind, CachePoliciesConfig, defaultPolicies } from "./CachePolicy.ts"
import { L1 } from "./L1.ts"
import { getOrLoadMany } from "./LoadMany.ts"
import { getOrLoad } from "./Lookup.ts"
import { NegativeCache } from "./NegativeCache.ts"
import { Popularity } from "./Popularity.ts"
import { makeRefreshQueue } from "./RefreshQueue.ts"
import { FillLock } from "./FillLock.ts"
import { type Invalidation, InvalidationBus } from "./InvalidationBus.ts"
import { RemoteCache } from "./RemoteCache.ts"
import { SharedTier } from "./SharedTier.ts"
import { SingleFlight } from "./SingleFlight.ts"

export type { CacheSpec, LoadOptions, MarketCacheOptions } from "./CacheCore.ts"

/** Lock, refresh and negative-result settings shared by the configured and the test layer. */
const operational = {
  lockTtl: Duration.seconds(5),
  lockWait: Duration.seconds(3),
  refreshConcurrency: 5,
  negativeTtl: Duration.seconds(30)
}

/**
 * The multi-level cache in front of the read path: L1 in process memory, L2 in
 * Redis (when `REDIS_URL` is set), then the loader. Fresh entries are served
 * as they are; stale ones (within their grace) are served at once while one
 * background refresh runs; concurrent misses of a key are filled once per
 * process, and loaded once across instances thanks to a short Redis lock.
 *
 * The parts live beside it: one key's lookup (Lookup.ts, whose L1 hit is one
 * synchronous step), batch loads (LoadMany.ts), the cross-instance fill
 * (ClusterFill.ts), SingleFlight, RefreshQueue, NegativeCache, L1 and
 * CacheMetrics; CacheCore.ts holds what they share.
 */
export class MarketCache extends Context.Service<MarketCache, {
  readonly getOrLoad: <A, E, R>(spec: CacheSpec<A>, load: Effect.Effect<A, E, R>, options?: LoadOptions<E>) => Effect.Effect<A, E, R>
  /** Many keys of one kind: the misses are loaded by one call (quotes for many symbols). */
  readonly getOrLoadMany: <A, E, R>(
    kind: CacheKind,
    codec: CacheCodec<A>,
    keys: ReadonlyArray<string>,
    loadMissing: (keys: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, A>, E, R>
  ) => Effect.Effect<ReadonlyMap<string, A>, E, R>
  /** Drops a key everywhere: this L1, L2, and (by pub/sub) every other instance's L1. */
  readonly invalidate: (kind: CacheKind, key: string) => Effect.Effect<void>
  readonly invalidatePrefix: (kind: CacheKind, prefix: string) => Effect.Effect<void>
  /**
   * The L1 entry of a key at `now` if it may still be served, counting no
   * lookup: the HTTP answer cache checks that an answer is still made of the
   * entries it was built from (Http/AnswerCache.ts).
   */
  readonly peek: (kind: CacheKind, key: string, now: number) => CacheEntry<unknown> | undefined
  /** Counts L1 hits of entries served without a lookup (an answer the answer cache reused). */
  readonly countHits: (kind: CacheKind, n: number) => void
}>()("@marketgate/server/Cache/MarketCache") {
  static readonly make = (options: MarketCacheOptions) =>
    Effect.gen(function*() {
      const { registry } = yield* MetricsRegistry
      const instance = crypto.randomUUID()
      // Filled in below: the L1's eviction count needs the metrics, the metrics' gauges the L1.
      let onEvict = (_kind: CacheKind, _n: number) => {}
      const l1 = new L1({ maxEntries: options.maxEntries, maxBytes: options.maxBytes }, (kind, n) => onEvict(kind, n))
      const metrics = makeCacheMetrics(registry, l1)
      onEvict = (kind, n) => metrics.byKind[kind].evicted.inc(n)
      const core: CacheCore = {
        options,
        metrics,
        l1,
        negatives: new NegativeCache(),
        shared: yield* SharedTier,
        fillLock: yield* FillLock,
        flights: new SingleFlight(),
        refreshes: yield* makeRefreshQueue(options.refreshConcurrency, metrics),
        background: yield* FiberSet.make()
      }
      const { negatives, shared } = core
      const bus = yield* InvalidationBus

      /** Drops local copies: L1 entries and remembered negative answers. */
      const dropLocal = (message: Omit<Invalidation, "origin">) => {
        if (message.key !== undefined) {
          l1.delete(message.kind, message.key)
          negatives.delete(message.kind, message.key)
        }
        if (message.prefix !== undefined) {
          l1.deletePrefix(message.kind, message.prefix)
          negatives.deletePrefix(message.kind, message.prefix)
        }
      }

      const invalidate = (kind: CacheKind, key: string) =>
        Effect.gen(function*() {
          dropLocal({ kind, key })
          yield* shared.tier.delete(kind, key).pipe(Effect.ignore)
          yield* bus.publish({ kind, key, origin: instance })
        })

      const invalidatePrefix = (kind: CacheKind, prefix: string) =>
        Effect.gen(function*() {
          dropLocal({ kind, prefix })
          yield* shared.tier.deletePrefix(kind, prefix).pipe(Effect.ignore)
          yield* bus.publish({ kind, prefix, origin: instance })
        })

      // Other instances' invalidations drop our L1 copies.
      yield* bus.subscribe((message) => message.origin === instance ? Effect.void : Effect.sync(() => dropLocal(message)))

      return MarketCache.of({
        getOrLoad: (spec, load, loadOptions) => getOrLoad(core, spec, load, loadOptions),
        getOrLoadMany: (kind, codec, keys, loadMissing) => getOrLoadMany(core, kind, codec, keys, loadMissing),
        invalidate,
        invalidatePrefix,
        peek: (kind, key, now) => l1.get<unknown>(kind, key, now),
        countHits: (kind, n) => metrics.byKind[kind].l1.hit.inc(n)
      })
    })

  static readonly layer = (options: MarketCacheOptions) => Layer.effect(MarketCache, MarketCache.make(options))

  static readonly layerConfig = Layer.effect(
    MarketCache,
    Effect.gen(function*() {
      const policies = yield* CachePoliciesConfig
      const maxEntries = yield* Config.Int("CACHE_L1_MAX_ENTRIES").pipe(Config.withDefault(20_000))
      const maxMb = yield* Config.Number("CACHE_L1_MAX_MB").pipe(Config.withDefault(256))
      const namespace = yield* Config.String("CACHE_NAMESPACE").pipe(Config.withDefault("mg:v1"))
      return yield* MarketCache.make({ ...operational, policies, maxEntries, maxBytes: Math.round(maxMb * 1024 * 1024), namespace })
    })
  )

  /** Default policies, small bounds, no Redis (and request counts in memory): for tests. */
  static readonly layerTest = Layer.mergeAll(
    MarketCache.layer({
      ...operational,
      policies: defaultPolicies,
      maxEntries: 1000,
      maxBytes: 64 * 1024 * 1024,
      namespace: "mg:v1"
    }),
    Popularity.layer
  ).pipe(Layer.provideMerge(RemoteCache.layerNone))
}
