import { Clock, Config, Context, Duration, Effect, Layer } from "effect"
import * as Prom from "prom-client"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"
import { RequestFacts } from "../Observability/RequestFacts.ts"
import { type CacheKind, type CachePolicies, CachePoliciesConfig, defaultPolicies } from "./CachePolicy.ts"
import { LruTable } from "./LruTable.ts"

export interface MarketCacheOptions {
  readonly policies: CachePolicies
  /** Entries kept in process memory (L1) before the least recently used go. */
  readonly maxEntries: number
}

/**
 * Cache-aside in front of the read path, keyed by kind and request. This is
 * the in-process tier (L1); a shared tier (Redis) slots in behind it.
 */
export class MarketCache extends Context.Service<MarketCache, {
  readonly getOrLoad: <A, E, R>(kind: CacheKind, key: string, load: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Many keys at once: the misses are loaded by one call (quotes for many symbols). */
  readonly getOrLoadMany: <A, E, R>(
    kind: CacheKind,
    keys: ReadonlyArray<string>,
    loadMissing: (keys: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, A>, E, R>
  ) => Effect.Effect<ReadonlyMap<string, A>, E, R>
  readonly invalidate: (kind: CacheKind, key: string) => Effect.Effect<void>
}>()("@marketgate/server/Cache/MarketCache") {
  static readonly make = (options: MarketCacheOptions) =>
    Effect.gen(function*() {
      const { registry } = yield* MetricsRegistry
      const labelNames = ["level", "policy"] as const
      const hits = new Prom.Counter({ name: "cache_hits_total", help: "Cache lookups answered by a tier", labelNames, registers: [registry] })
      const misses = new Prom.Counter({ name: "cache_misses_total", help: "Cache lookups a tier could not answer", labelNames, registers: [registry] })
      const evictions = new Prom.Counter({ name: "cache_evictions_total", help: "Entries dropped to stay within the size bound", labelNames, registers: [registry] })
      const table = new LruTable<unknown>(options.maxEntries)
      new Prom.Gauge({
        name: "cache_entries",
        help: "Entries held by a tier",
        labelNames: ["level"],
        registers: [registry],
        collect() {
          this.set({ level: "l1" }, table.size)
        }
      })

      const fullKey = (kind: CacheKind, key: string) => `${kind}:${key}`

      const getOrLoad = <A, E, R>(kind: CacheKind, key: string, load: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
        Effect.gen(function*() {
          const facts = yield* RequestFacts
          const now = yield* Clock.currentTimeMillis
          const k = fullKey(kind, key)
          facts.cacheLookups++
          const entry = table.get(k, now)
          if (entry !== undefined) {
            hits.inc({ level: "l1", policy: kind })
            yield* Effect.annotateCurrentSpan({ "cache.level": "l1", "cache.hit": true })
            return entry.value as A
          }
          facts.cacheMisses++
          misses.inc({ level: "l1", policy: kind })
          yield* Effect.annotateCurrentSpan({ "cache.level": "l1", "cache.hit": false })
          const value = yield* load
          const stored = yield* Clock.currentTimeMillis
          const evicted = table.set(k, value, stored + Duration.toMillis(options.policies[kind]))
          if (evicted > 0) evictions.inc({ level: "l1", policy: kind }, evicted)
          return value
        }).pipe(Effect.withSpan("Cache.lookup", { attributes: { "cache.policy": kind } }))

      const getOrLoadMany = <A, E, R>(
        kind: CacheKind,
        keys: ReadonlyArray<string>,
        loadMissing: (keys: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, A>, E, R>
      ): Effect.Effect<ReadonlyMap<string, A>, E, R> =>
        Effect.gen(function*() {
          const facts = yield* RequestFacts
          const now = yield* Clock.currentTimeMillis
          const found = new Map<string, A>()
          const missing: Array<string> = []
          for (const key of keys) {
            facts.cacheLookups++
            const entry = table.get(fullKey(kind, key), now)
            if (entry === undefined) missing.push(key)
            else found.set(key, entry.value as A)
          }
          if (found.size > 0) hits.inc({ level: "l1", policy: kind }, found.size)
          yield* Effect.annotateCurrentSpan({ "cache.level": "l1", "cache.hit": missing.length === 0, "cache.misses": missing.length })
          if (missing.length === 0) return found
          facts.cacheMisses += missing.length
          misses.inc({ level: "l1", policy: kind }, missing.length)
          const loaded = yield* loadMissing(missing)
          const expiresAt = (yield* Clock.currentTimeMillis) + Duration.toMillis(options.policies[kind])
          let evicted = 0
          for (const [key, value] of loaded) {
            evicted += table.set(fullKey(kind, key), value, expiresAt)
            found.set(key, value)
          }
          if (evicted > 0) evictions.inc({ level: "l1", policy: kind }, evicted)
          return found
        }).pipe(Effect.withSpan("Cache.lookupMany", { attributes: { "cache.policy": kind } }))

      const invalidate = (kind: CacheKind, key: string) => Effect.sync(() => void table.delete(fullKey(kind, key)))

      return MarketCache.of({ getOrLoad, getOrLoadMany, invalidate })
    })

  static readonly layer = (options: MarketCacheOptions) => Layer.effect(MarketCache, MarketCache.make(options))

  static readonly layerConfig = Layer.effect(
    MarketCache,
    Effect.gen(function*() {
      const policies = yield* CachePoliciesConfig
      const maxEntries = yield* Config.Int("CACHE_L1_MAX_ENTRIES").pipe(Config.withDefault(20_000))
      return yield* MarketCache.make({ policies, maxEntries })
    })
  )

  /** Default policies and a small table, for tests. */
  static readonly layerTest = MarketCache.layer({ policies: defaultPolicies, maxEntries: 1000 })
}
