import { Clock, Config, Context, Deferred, Duration, Effect, Exit, FiberSet, Layer, Option, Random, Schedule, Semaphore } from "effect"
import * as Prom from "prom-client"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"
import { RequestFacts } from "../Observability/RequestFacts.ts"
import { type CacheCodec, type CacheEntry, entryKey } from "./CacheEntry.ts"
import { type CacheKind, type CachePolicies, CachePoliciesConfig, defaultPolicies, jittered } from "./CachePolicy.ts"
import { MemoryTier } from "./MemoryTier.ts"
import { Popularity } from "./Popularity.ts"
import { RemoteCache } from "./RemoteCache.ts"

export interface MarketCacheOptions {
  readonly policies: CachePolicies
  /** L1 bounds: entries, and bytes of serialised values. */
  readonly maxEntries: number
  readonly maxBytes: number
  /** L2 key prefix, with the format version: `mg:v1`. */
  readonly namespace: string
  /** How long a cold key's cross-instance lock lives if its holder dies. */
  readonly lockTtl: Duration.Duration
  /** How long a pod waits for another pod's load before loading itself. */
  readonly lockWait: Duration.Duration
  /** Background refreshes of stale entries running at once. */
  readonly refreshConcurrency: number
  /** How long a negative result ("no such thing") is remembered. */
  readonly negativeTtl: Duration.Duration
}

export interface CacheSpec<A> {
  readonly kind: CacheKind
  readonly key: string
  readonly codec: CacheCodec<A>
}

export interface LoadOptions<E> {
  /** Failures that are an answer ("no such symbol"), remembered for `negativeTtl`. */
  readonly negative?: ((error: E) => boolean) | undefined
}

type Level = "l1" | "l2" | "load"

// Capturing a stack trace for every lookup's span cost ~15 % of cache
// throughput (bench/cache profile); the span name says where it comes from.
const noStack = { captureStackTrace: false } as const

type Pending<A, E> = Deferred.Deferred<Option.Option<A>, E>

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
 * background refresh runs; concurrent misses of a key load once per process,
 * and once across instances thanks to a short Redis lock.
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
}>()("@marketgate/server/Cache/MarketCache") {
  static readonly make = (options: MarketCacheOptions) =>
    Effect.gen(function*() {
      const { registry } = yield* MetricsRegistry
      const remote = yield* RemoteCache
      const instance = crypto.randomUUID()
      const labelNames = ["level", "policy"] as const
      const hits = new Prom.Counter({ name: "cache_hits_total", help: "Lookups a tier answered (fresh or stale)", labelNames, registers: [registry] })
      const misses = new Prom.Counter({ name: "cache_misses_total", help: "Lookups a tier could not answer", labelNames, registers: [registry] })
      const evictions = new Prom.Counter({ name: "cache_evictions_total", help: "Entries dropped to stay within the L1 bounds", labelNames, registers: [registry] })
      const stale = new Prom.Counter({ name: "cache_stale_served_total", help: "Stale entries served within their grace period", labelNames, registers: [registry] })
      const refreshes = new Prom.Counter({ name: "cache_refreshes_total", help: "Background refreshes of stale entries", labelNames: ["policy", "outcome"], registers: [registry] })
      const loads = new Prom.Counter({ name: "cache_loads_total", help: "Loader runs after a miss in every tier", labelNames: ["policy", "outcome"], registers: [registry] })
      const joined = new Prom.Counter({ name: "cache_single_flight_joined_total", help: "Misses that waited for a load already running", labelNames: ["policy", "scope"], registers: [registry] })
      const memory = new MemoryTier({ maxEntries: options.maxEntries, maxBytes: options.maxBytes })
      new Prom.Gauge({
        name: "cache_entries",
        help: "Entries held in L1",
        registers: [registry],
        collect() {
          this.set(memory.size)
        }
      })
      new Prom.Gauge({
        name: "cache_bytes",
        help: "Bytes of serialised values held in L1",
        registers: [registry],
        collect() {
          this.set(memory.bytes)
        }
      })
      // L1 is a plain structure (it cannot fail): read and written directly.
      const k1 = (kind: CacheKind, key: string) => entryKey(options.namespace, kind, key)
      const l1Get = <A>(kind: CacheKind, key: string, now: number) => memory.get<A>(k1(kind, key), now)
      const l1Set = (kind: CacheKind, key: string, entry: CacheEntry<unknown>) => {
        const evicted = memory.set(k1(kind, key), entry)
        if (evicted > 0) evictions.inc({ level: "l1", policy: kind }, evicted)
      }
      const negatives = new MemoryTier({ maxEntries: 10_000, maxBytes: 1_000_000 })

      const background = yield* FiberSet.make()
      const refreshPool = yield* Semaphore.make(options.refreshConcurrency)
      const refreshing = new Set<string>()
      // Loads running in this process, by entry key. A single load always
      // answers Some; a batch load answers None for a key it did not return.
      const inFlight = new Map<string, Pending<unknown, unknown>>()

      const newEntry = <A>(spec: CacheSpec<A>, value: A) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const policy = options.policies[spec.kind]
          const fresh = jittered(Duration.toMillis(policy.fresh), yield* Random.next)
          return {
            value,
            json: spec.codec.encode(value),
            freshUntil: now + fresh,
            staleUntil: now + fresh + Duration.toMillis(policy.grace)
          } satisfies CacheEntry<A>
        })

      const store = <A>(spec: CacheSpec<A>, entry: CacheEntry<A>) =>
        Effect.gen(function*() {
          l1Set(spec.kind, spec.key, entry)
          yield* remote.tier.set(spec.kind, spec.key, entry, yield* Clock.currentTimeMillis).pipe(Effect.ignore)
        })

      /** One L2 read; a Redis failure reads as a miss. */
      const readRemote = <A>(spec: CacheSpec<A>) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          remote.tier.get(spec.kind, spec.key, spec.codec, now).pipe(
            Effect.orElseSucceed(() => Option.none<CacheEntry<A>>())
          ))

      /** Polls L2 while another instance holds the lock, up to `lockWait`. */
      const awaitRemote = <A>(spec: CacheSpec<A>) =>
        Effect.gen(function*() {
          const entry = yield* readRemote(spec)
          if (Option.isSome(entry)) return entry
          // The holder gave up or died (its lock expired) without writing: stop waiting.
          return (yield* remote.isLocked(spec.kind, spec.key)) ? undefined : Option.none<CacheEntry<A>>()
        }).pipe(
          Effect.repeat({ schedule: Schedule.spaced("25 millis"), until: (r) => r !== undefined }),
          Effect.timeoutOrElse({ duration: options.lockWait, orElse: () => Effect.succeed(Option.none<CacheEntry<A>>()) }),
          Effect.map((r) => r ?? Option.none<CacheEntry<A>>())
        )

      /** Runs the loader (once across instances when Redis is there) and stores its value in every tier. */
      const loadAndStore = <A, E, R>(spec: CacheSpec<A>, load: Effect.Effect<A, E, R>, loadOptions?: LoadOptions<E>) =>
        Effect.gen(function*() {
          const lock = remote.enabled ? yield* remote.tryLock(spec.kind, spec.key, options.lockTtl) : Option.none<string>()
          if (remote.enabled) {
            // Without the lock, wait for its holder's value. With it, read L2 once
            // more: the previous holder may have stored the value and unlocked
            // between our miss and our lock.
            const theirs = Option.isNone(lock) ? yield* awaitRemote(spec) : yield* readRemote(spec)
            if (Option.isSome(theirs)) {
              joined.inc({ policy: spec.kind, scope: "cluster" })
              l1Set(spec.kind, spec.key, theirs.value)
              if (Option.isSome(lock)) yield* remote.unlock(spec.kind, spec.key, lock.value)
              return theirs.value.value
            }
          }
          const exit = yield* Effect.exit(load)
          loads.inc({ policy: spec.kind, outcome: Exit.isSuccess(exit) ? "success" : "failure" })
          if (Exit.isSuccess(exit)) yield* store(spec, yield* newEntry(spec, exit.value))
          else {
            const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
            if (failure !== undefined && loadOptions?.negative?.(failure.error as E)) {
              const now = yield* Clock.currentTimeMillis
              const until = now + Duration.toMillis(options.negativeTtl)
              negatives.set(entryKey(options.namespace, spec.kind, spec.key), {
                value: failure.error,
                json: "",
                freshUntil: until,
                staleUntil: until
              })
            }
          }
          if (Option.isSome(lock)) yield* remote.unlock(spec.kind, spec.key, lock.value)
          return yield* exit
        })

      /**
       * One load per key per process: later misses wait for the first. The
       * load runs detached from any one request, so a caller that gives up
       * does not cancel it for the others.
       */
      const singleFlight = <A, E, R>(
        spec: CacheSpec<A>,
        load: Effect.Effect<A, E, R>,
        loadOptions?: LoadOptions<E>
      ): Effect.Effect<A, E, R> =>
        Effect.gen(function*() {
          const k = entryKey(options.namespace, spec.kind, spec.key)
          const running = inFlight.get(k) as Pending<A, E> | undefined
          if (running !== undefined) {
            joined.inc({ policy: spec.kind, scope: "process" })
            const value = yield* Deferred.await(running)
            // A batch load that did not return this key: load it ourselves.
            return Option.isSome(value) ? value.value : yield* singleFlight(spec, load, loadOptions)
          }
          const done = yield* Deferred.make<Option.Option<A>, E>()
          inFlight.set(k, done as Pending<unknown, unknown>)
          yield* FiberSet.run(
            background,
            loadAndStore(spec, load, loadOptions).pipe(
              Effect.exit,
              Effect.flatMap((exit) => Deferred.done(done, Exit.map(exit, Option.some))),
              Effect.ensuring(Effect.sync(() => inFlight.delete(k)))
            )
          )
          return yield* Deferred.await(done).pipe(Effect.map(Option.getOrThrow))
        })

      /**
       * Background refresh of stale keys: at most one per key, at most
       * `refreshConcurrency` at once; a failure keeps serving the stale value
       * until its grace runs out. `work` loads and stores the keys itself.
       */
      const refreshKeys = <E, R>(kind: CacheKind, keys: ReadonlyArray<string>, work: Effect.Effect<void, E, R>) =>
        Effect.gen(function*() {
          const ks = keys.map((key) => k1(kind, key))
          if (ks.some((k) => refreshing.has(k))) return
          for (const k of ks) refreshing.add(k)
          yield* FiberSet.run(
            background,
            refreshPool.withPermit(Effect.exit(work)).pipe(
              Effect.tap((exit) =>
                Effect.gen(function*() {
                  refreshes.inc({ policy: kind, outcome: Exit.isSuccess(exit) ? "success" : "failure" })
                  if (Exit.isFailure(exit)) {
                    yield* Effect.logWarning("cache refresh failed; serving the stale value within its grace period").pipe(
                      Effect.annotateLogs({ policy: kind, keys: keys.join(",") })
                    )
                  }
                })
              ),
              Effect.ensuring(Effect.sync(() => ks.forEach((k) => refreshing.delete(k)))),
              Effect.withSpan("Cache.refresh", { attributes: { "cache.policy": kind } })
            )
          )
        })

      const refresh = <A, E, R>(spec: CacheSpec<A>, load: Effect.Effect<A, E, R>) =>
        refreshKeys(
          spec.kind,
          [spec.key],
          Effect.flatMap(load, (value) => Effect.flatMap(newEntry(spec, value), (e) => store(spec, e)))
        )

      const served = (kind: CacheKind, level: Level, entry: CacheEntry<unknown>, now: number, facts: RequestFacts) =>
        Effect.gen(function*() {
          const isStale = now >= entry.freshUntil
          if (level !== "load") hits.inc({ level, policy: kind })
          if (isStale && level !== "load") {
            stale.inc({ level, policy: kind })
            facts.cacheStale = true
          }
          yield* Effect.annotateCurrentSpan({ "cache.level": level, "cache.hit": level !== "load", "cache.stale": isStale })
          return isStale
        })

      const getOrLoad = <A, E, R>(spec: CacheSpec<A>, load: Effect.Effect<A, E, R>, loadOptions?: LoadOptions<E>): Effect.Effect<A, E, R> =>
        Effect.gen(function*() {
          const facts = yield* RequestFacts
          const now = yield* Clock.currentTimeMillis
          facts.cacheLookups++
          const e1 = l1Get<A>(spec.kind, spec.key, now)
          if (e1 !== undefined) {
            if (yield* served(spec.kind, "l1", e1, now, facts)) yield* refresh(spec, load)
            return e1.value
          }
          const negative = negatives.get<E>(entryKey(options.namespace, spec.kind, spec.key), now)
          if (negative !== undefined) {
            hits.inc({ level: "l1", policy: spec.kind })
            return yield* Effect.fail(negative.value)
          }
          misses.inc({ level: "l1", policy: spec.kind })
          if (remote.enabled) {
            const e2 = Option.getOrUndefined(
              yield* remote.tier.get(spec.kind, spec.key, spec.codec, now).pipe(
                Effect.orElseSucceed(() => Option.none<CacheEntry<A>>()),
                Effect.withSpan("cache.l2.get", undefined, noStack)
              )
            )
            if (e2 !== undefined) {
              l1Set(spec.kind, spec.key, e2)
              if (yield* served(spec.kind, "l2", e2, now, facts)) yield* refresh(spec, load)
              return e2.value
            }
            misses.inc({ level: "l2", policy: spec.kind })
          }
          facts.cacheMisses++
          yield* Effect.annotateCurrentSpan({ "cache.level": "load", "cache.hit": false })
          return yield* singleFlight(spec, load, loadOptions)
        }).pipe(Effect.withSpan("Cache.lookup", { attributes: { "cache.policy": spec.kind } }, noStack))

      const getOrLoadMany = <A, E, R>(
        kind: CacheKind,
        codec: CacheCodec<A>,
        keys: ReadonlyArray<string>,
        loadMissing: (keys: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, A>, E, R>
      ): Effect.Effect<ReadonlyMap<string, A>, E, R> =>
        Effect.gen(function*() {
          const facts = yield* RequestFacts
          const now = yield* Clock.currentTimeMillis
          const found = new Map<string, A>()
          const staleKeys: Array<string> = []
          let missing: Array<string> = []
          for (const key of keys) {
            facts.cacheLookups++
            const e1 = l1Get<A>(kind, key, now)
            if (e1 === undefined) missing.push(key)
            else {
              found.set(key, e1.value)
              if (yield* served(kind, "l1", e1, now, facts)) staleKeys.push(key)
            }
          }
          if (missing.length > 0) misses.inc({ level: "l1", policy: kind }, missing.length)
          if (remote.enabled && missing.length > 0) {
            const fromL2 = yield* Effect.forEach(missing, (key) =>
              remote.tier.get(kind, key, codec, now).pipe(
                Effect.orElseSucceed(() => Option.none<CacheEntry<A>>()),
                Effect.map((e) => [key, e] as const)
              ), { concurrency: 16 })
            missing = []
            for (const [key, e2] of fromL2) {
              if (Option.isNone(e2)) missing.push(key)
              else {
                l1Set(kind, key, e2.value)
                found.set(key, e2.value.value)
                if (yield* served(kind, "l2", e2.value, now, facts)) staleKeys.push(key)
              }
            }
            if (missing.length > 0) misses.inc({ level: "l2", policy: kind }, missing.length)
          }
          // One batched refresh for the stale keys not already being refreshed.
          const todo = staleKeys.filter((key) => !refreshing.has(k1(kind, key)))
          if (todo.length > 0) {
            yield* refreshKeys(
              kind,
              todo,
              Effect.flatMap(loadMissing(todo), (loaded) =>
                Effect.forEach(loaded, ([key, value]) =>
                  Effect.flatMap(newEntry({ kind, key, codec }, value), (e) => store({ kind, key, codec }, e)), { discard: true })
              )
            )
          }
          if (missing.length === 0) return found
          facts.cacheMisses += missing.length
          // Keys another request is already loading are awaited, the rest loaded in one call.
          const waits: Array<readonly [string, Deferred.Deferred<Option.Option<A>, E>]> = []
          const mine: Array<string> = []
          for (const key of missing) {
            const running = inFlight.get(entryKey(options.namespace, kind, key)) as Pending<A, E> | undefined
            if (running !== undefined) {
              joined.inc({ policy: kind, scope: "process" })
              waits.push([key, running])
            } else mine.push(key)
          }
          if (mine.length > 0) {
            const deferreds = new Map<string, Deferred.Deferred<Option.Option<A>, E>>()
            for (const key of mine) {
              const d = yield* Deferred.make<Option.Option<A>, E>()
              deferreds.set(key, d)
              inFlight.set(entryKey(options.namespace, kind, key), d as Pending<unknown, unknown>)
              waits.push([key, d])
            }
            yield* FiberSet.run(
              background,
              Effect.exit(loadMissing(mine)).pipe(
                Effect.tap((exit) => Effect.sync(() => loads.inc({ policy: kind, outcome: Exit.isSuccess(exit) ? "success" : "failure" }))),
                Effect.flatMap((exit) =>
                  Effect.forEach(mine, (key) =>
                    Effect.gen(function*() {
                      const d = deferreds.get(key)!
                      if (Exit.isFailure(exit)) return yield* Deferred.failCause(d, exit.cause)
                      const value = exit.value.get(key)
                      if (value !== undefined) yield* store({ kind, key, codec }, yield* newEntry({ kind, key, codec }, value))
                      return yield* Deferred.succeed(d, Option.fromNullishOr(value))
                    }))
                ),
                Effect.ensuring(Effect.sync(() => mine.forEach((key) => inFlight.delete(entryKey(options.namespace, kind, key)))))
              )
            )
          }
          for (const [key, d] of waits) {
            const value = yield* Deferred.await(d)
            if (Option.isSome(value)) found.set(key, value.value)
          }
          return found
        }).pipe(Effect.withSpan("Cache.lookupMany", { attributes: { "cache.policy": kind, keys: keys.length } }, noStack))

      const invalidate = (kind: CacheKind, key: string) =>
        Effect.gen(function*() {
          memory.delete(k1(kind, key))
          negatives.delete(entryKey(options.namespace, kind, key))
          yield* remote.tier.delete(kind, key).pipe(Effect.ignore)
          yield* remote.publish({ kind, key, origin: instance })
        })

      const invalidatePrefix = (kind: CacheKind, prefix: string) =>
        Effect.gen(function*() {
          memory.deletePrefix(k1(kind, prefix))
          negatives.deletePrefix(entryKey(options.namespace, kind, prefix))
          yield* remote.tier.deletePrefix(kind, prefix).pipe(Effect.ignore)
          yield* remote.publish({ kind, prefix, origin: instance })
        })

      // Other instances' invalidations drop our L1 copies.
      yield* remote.subscribe((message) =>
        message.origin === instance
          ? Effect.void
          : Effect.sync(() => {
            if (message.key !== undefined) {
              memory.delete(k1(message.kind, message.key))
              negatives.delete(k1(message.kind, message.key))
            }
            if (message.prefix !== undefined) {
              memory.deletePrefix(k1(message.kind, message.prefix))
              negatives.deletePrefix(k1(message.kind, message.prefix))
            }
          })
      )

      return MarketCache.of({ getOrLoad, getOrLoadMany, invalidate, invalidatePrefix })
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
