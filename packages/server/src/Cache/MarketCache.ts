import { Clock, Config, Context, Deferred, Duration, Effect, Exit, FiberSet, Layer, Option, Queue, Random, type Tracer } from "effect"
import * as Prom from "prom-client"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"
import { RequestFacts } from "../Observability/RequestFacts.ts"
import { talliedCounter } from "../Observability/TalliedCounter.ts"
import { type CacheCodec, type CacheEntry, entryKey } from "./CacheEntry.ts"
import { type CacheKind, cacheKinds, type CachePolicies, CachePoliciesConfig, defaultPolicies, jittered } from "./CachePolicy.ts"
import { MemoryTier } from "./MemoryTier.ts"
import { Popularity } from "./Popularity.ts"
import { RemoteCache, type SharedRead } from "./RemoteCache.ts"

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

/** What filling a key missing from L1 gave the requests waiting on it: the value and where it came from. */
interface Filled<A> {
  readonly value: A
  readonly level: "l2" | "load"
  readonly stale: boolean
}

/** An L2 read that did not find the key: what a fill starts from. */
type SharedMiss = Exclude<SharedRead<never>, { readonly _tag: "Hit" }>

// A single fill always answers Some; a batch load answers None for a key it did not return.
type Pending<A, E> = Deferred.Deferred<Option.Option<Filled<A>>, E>

// Capturing a stack trace for every lookup's span cost ~15 % of cache
// throughput (bench/cache profile); the span name says where it comes from.
const noStack = { captureStackTrace: false } as const

/** Lock, refresh and negative-result settings shared by the configured and the test layer. */
const operational = {
  lockTtl: Duration.seconds(5),
  lockWait: Duration.seconds(3),
  refreshConcurrency: 5,
  negativeTtl: Duration.seconds(30)
}

/** Stale keys waiting for a refresh worker; past this, new refreshes are dropped. */
const REFRESH_BACKLOG = 1_000

/** How often a pod waiting on another pod's load looks for its value. */
const LOCK_POLL = Duration.millis(25)

const perKind = <T>(make: (kind: CacheKind) => T): Readonly<Record<CacheKind, T>> =>
  Object.fromEntries(cacheKinds.map((kind) => [kind, make(kind)])) as Record<CacheKind, T>
/**
 * The multi-level cache in front of the read path: L1 in process memory, L2 in
 * Redis (when `REDIS_URL` is set), then the loader. Fresh entries are served
 * as they are; stale ones (within their grace) are served at once while one
 * background refresh runs; concurrent misses of a key are filled once per
 * process, and loaded once across instances thanks to a short Redis lock.
 *
 * A lookup answered by L1 is the hot path (nine lookups in ten under a Zipf
 * load): it runs as one synchronous step inside its span, with no generator,
 * no child fiber and metric children bound in advance (docs/performance.md).
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
      const remote = yield* RemoteCache
      const instance = crypto.randomUUID()
      const labelNames = ["level", "policy"] as const
      const hits = talliedCounter({ name: "cache_hits_total", help: "Lookups a tier answered (fresh or stale)", labelNames, registers: [registry] })
      const misses = talliedCounter({ name: "cache_misses_total", help: "Lookups a tier could not answer", labelNames, registers: [registry] })
      const evictions = talliedCounter({ name: "cache_evictions_total", help: "Entries dropped to stay within the L1 bounds", labelNames, registers: [registry] })
      const stale = talliedCounter({ name: "cache_stale_served_total", help: "Stale entries served within their grace period", labelNames, registers: [registry] })
      const refreshes = new Prom.Counter({ name: "cache_refreshes_total", help: "Background refreshes of stale entries", labelNames: ["policy", "outcome"], registers: [registry] })
      const loads = new Prom.Counter({ name: "cache_loads_total", help: "Loader runs after a miss in every tier", labelNames: ["policy", "outcome"], registers: [registry] })
      const joined = talliedCounter({ name: "cache_single_flight_joined_total", help: "Misses that waited for a load already running", labelNames: ["policy", "scope"], registers: [registry] })
      // Tallies bound once per label set: a lookup adds to a number, hashing no labels.
      const counters = perKind((policy) => ({
        l1: { hit: hits.tally({ level: "l1", policy }), miss: misses.tally({ level: "l1", policy }), stale: stale.tally({ level: "l1", policy }) },
        l2: { hit: hits.tally({ level: "l2", policy }), miss: misses.tally({ level: "l2", policy }), stale: stale.tally({ level: "l2", policy }) },
        evicted: evictions.tally({ level: "l1", policy }),
        joinedProcess: joined.tally({ policy, scope: "process" }),
        joinedCluster: joined.tally({ policy, scope: "cluster" })
      }))
      const lookupSpan = perKind((policy) => ({ attributes: { "cache.policy": policy } }))
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
      const l1Set = (kind: CacheKind, key: string, entry: CacheEntry<unknown>) => {
        const evicted = memory.set(kind, key, entry)
        if (evicted > 0) counters[kind].evicted.inc(evicted)
      }
      const negatives = new MemoryTier({ maxEntries: 10_000, maxBytes: 1_000_000 })

      const background = yield* FiberSet.make()
      const refreshQueue = yield* Queue.dropping<Effect.Effect<void>>(REFRESH_BACKLOG)
      for (let i = 0; i < options.refreshConcurrency; i++) {
        yield* FiberSet.run(background, Effect.forever(Effect.flatMap(Queue.take(refreshQueue), (job) => job)))
      }
      const refreshing = new Set<string>()
      // Fills running in this process, by entry key, and the lock token each started with.
      const inFlight = new Map<string, Pending<unknown, unknown>>()
      const fillTokens = new Map<string, string>()

      /** The entry of a freshly loaded value: encoded once, freshness jittered ±10 %. */
      const newEntry = <A>(spec: CacheSpec<A>, value: A): Effect.Effect<CacheEntry<A>> =>
        Effect.withFiber((fiber) => {
          const now = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
          const policy = options.policies[spec.kind]
          const fresh = jittered(Duration.toMillis(policy.fresh), fiber.getRef(Random.Random).nextDoubleUnsafe())
          return Effect.succeed({
            value,
            json: spec.codec.encode(value),
            freshUntil: now + fresh,
            staleUntil: now + fresh + Duration.toMillis(policy.grace)
          })
        })

      /** Keeps an entry in L1, and in L2 behind the request. */
      const store = <A>(spec: CacheSpec<A>, entry: CacheEntry<A>) =>
        Effect.suspend(() => {
          l1Set(spec.kind, spec.key, entry)
          return remote.writeBehind(spec.kind, spec.key, entry, undefined)
        })

      /**
       * Background refresh of stale keys: at most one per key, at most
       * `refreshConcurrency` at once (that many workers on one queue); a
       * failure keeps serving the stale value until its grace runs out.
       * `work` loads and stores the keys itself, in its caller's context. When
       * `REFRESH_BACKLOG` refreshes already wait, a new one is dropped
       * (counted): the stale value is served meanwhile and its next reader
       * asks again, where an endless backlog would refresh keys nobody reads.
       */
      const refreshKeys = <E, R>(kind: CacheKind, keys: ReadonlyArray<string>, work: Effect.Effect<void, E, R>) =>
        Effect.contextWith((context: Context.Context<R>) => {
          const ks = keys.map((key) => k1(kind, key))
          if (ks.some((k) => refreshing.has(k))) return Effect.void
          const job = Effect.exit(work).pipe(
            Effect.tap((exit) => {
              refreshes.inc({ policy: kind, outcome: Exit.isSuccess(exit) ? "success" : "failure" })
              return Exit.isSuccess(exit)
                ? Effect.void
                : Effect.logWarning("cache refresh failed; serving the stale value within its grace period").pipe(
                  Effect.annotateLogs({ policy: kind, keys: keys.join(",") })
                )
            }),
            Effect.ensuring(Effect.sync(() => ks.forEach((k) => refreshing.delete(k)))),
            Effect.withSpan("Cache.refresh", { attributes: { "cache.policy": kind } }, noStack),
            Effect.provideContext(context)
          )
          if (!Queue.offerUnsafe(refreshQueue, Effect.asVoid(job))) {
            refreshes.inc({ policy: kind, outcome: "dropped" })
            return Effect.void
          }
          for (const k of ks) refreshing.add(k)
          return Effect.void
        })

      const refresh = <A, E, R>(spec: CacheSpec<A>, load: Effect.Effect<A, E, R>) =>
        refreshKeys(
          spec.kind,
          [spec.key],
          Effect.flatMap(load, (value) => Effect.flatMap(newEntry(spec, value), (e) => store(spec, e)))
        )

      /** Counts a tier's hit, marks the span, and starts a refresh when the entry is stale. */
      const served = <A, E, R>(
        span: Tracer.Span,
        spec: CacheSpec<A>,
        level: "l1" | "l2",
        entry: CacheEntry<A>,
        now: number,
        facts: RequestFacts,
        load: Effect.Effect<A, E, R>
      ): Effect.Effect<A, never, R> => {
        const tier = counters[spec.kind][level]
        const isStale = now >= entry.freshUntil
        tier.hit.inc()
        facts.reads?.push({ kind: spec.kind, key: spec.key, entry })
        span.attribute("cache.level", level)
        span.attribute("cache.hit", true)
        span.attribute("cache.stale", isStale)
        if (!isStale) return Effect.succeed(entry.value)
        tier.stale.inc()
        facts.cacheStale = true
        return Effect.as(refresh(spec, load), entry.value)
      }

      /** Runs the loader and keeps its value: in L1 at once, in L2 (and the lock released) behind the request. */
      const loadAndStore = <A, E, R>(
        spec: CacheSpec<A>,
        load: Effect.Effect<A, E, R>,
        loadOptions: LoadOptions<E> | undefined,
        token: string | undefined
      ): Effect.Effect<Filled<A>, E, R> =>
        Effect.gen(function*() {
          const exit = yield* Effect.exit(load)
          loads.inc({ policy: spec.kind, outcome: Exit.isSuccess(exit) ? "success" : "failure" })
          if (Exit.isSuccess(exit)) {
            const entry = yield* newEntry(spec, exit.value)
            l1Set(spec.kind, spec.key, entry)
            yield* remote.writeBehind(spec.kind, spec.key, entry, token)
            return { value: exit.value, level: "load", stale: false } satisfies Filled<A>
          }
          yield* remote.writeBehind(spec.kind, spec.key, undefined, token)
          const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
          if (failure !== undefined && loadOptions?.negative?.(failure.error as E)) {
            const until = (yield* Clock.currentTimeMillis) + Duration.toMillis(options.negativeTtl)
            negatives.set(spec.kind, spec.key, { value: failure.error, json: "", freshUntil: until, staleUntil: until })
          }
          return yield* Effect.failCause(exit.cause)
        })

      /** Another pod holds the key's lock: look for its value until it is there, the lock is gone, or `lockWait` is over. */
      const awaitHolder = <A>(spec: CacheSpec<A>) =>
        Effect.clockWith((clock) => remote.readOrLock(spec.kind, spec.key, spec.codec, clock.currentTimeMillisUnsafe(), options.lockTtl)).pipe(
          Effect.delay(LOCK_POLL),
          Effect.repeat({ until: (read: SharedRead<A>) => read._tag !== "Busy" }),
          Effect.timeoutOrElse({ duration: options.lockWait, orElse: () => Effect.succeed<SharedRead<A>>({ _tag: "Miss", token: undefined }) })
        )

      /**
       * Loads a key missing from L1 and L2, once across instances when Redis is
       * there. `read` is what the L2 read found: the key's lock taken for this
       * instance (load, store, release), another instance holding it (wait for
       * its value; load if it never comes), or no Redis to ask (just load).
       * Runs once per key per process (see `fillOnce`).
       */
      const fill = <A, E, R>(
        spec: CacheSpec<A>,
        load: Effect.Effect<A, E, R>,
        loadOptions: LoadOptions<E> | undefined,
        read: SharedMiss
      ): Effect.Effect<Filled<A>, E, R> => {
        if (read._tag === "Miss") return loadAndStore(spec, load, loadOptions, read.token)
        return Effect.flatMap(awaitHolder(spec), (waited) => {
          if (waited._tag === "Hit") return Effect.clockWith((clock) => theirs(spec, load, waited.entry, clock.currentTimeMillisUnsafe()))
          return loadAndStore(spec, load, loadOptions, waited._tag === "Miss" ? waited.token : undefined)
        })
      }

      /** Another instance loaded the key while this one waited for it. */
      const theirs = <A, E, R>(spec: CacheSpec<A>, load: Effect.Effect<A, E, R>, entry: CacheEntry<A>, now: number): Effect.Effect<Filled<A>, never, R> => {
        counters[spec.kind].joinedCluster.inc()
        l1Set(spec.kind, spec.key, entry)
        if (now < entry.freshUntil) return Effect.succeed({ value: entry.value, level: "l2", stale: false })
        return Effect.as(refresh(spec, load), { value: entry.value, level: "l2", stale: true } satisfies Filled<A>)
      }

      /** What a fill means for one of the requests that waited on it. */
      const answered = <A>(span: Tracer.Span, facts: RequestFacts, filled: Filled<A>): Effect.Effect<A> => {
        span.attribute("cache.level", filled.level)
        span.attribute("cache.hit", filled.level !== "load")
        span.attribute("cache.stale", filled.stale)
        if (filled.level === "load") facts.cacheMisses++
        else if (filled.stale) facts.cacheStale = true
        return Effect.succeed(filled.value)
      }

      const missWithoutLock: SharedMiss = { _tag: "Miss", token: undefined }

      /**
       * One fill per key per process: later misses wait for the first. The
       * fill runs detached from any one request, so a caller that gives up
       * does not cancel it for the others.
       */
      const fillOnce = <A, E, R>(
        spec: CacheSpec<A>,
        load: Effect.Effect<A, E, R>,
        loadOptions: LoadOptions<E> | undefined,
        read: SharedMiss,
        span: Tracer.Span,
        facts: RequestFacts
      ): Effect.Effect<A, E, R> =>
        Effect.withFiber((fiber) => {
          const k = k1(spec.kind, spec.key)
          const token = read._tag === "Miss" ? read.token : undefined
          const running = inFlight.get(k) as Pending<A, E> | undefined
          if (running !== undefined) {
            counters[spec.kind].joinedProcess.inc()
            const joined = Effect.flatMap(Deferred.await(running), (filled) =>
              // A batch load that did not return this key: fill it ourselves.
              Option.isSome(filled) ? answered(span, facts, filled.value) : fillOnce(spec, load, loadOptions, missWithoutLock, span, facts))
            // A lock our read took is not needed: the running fill has, or waits for, the value.
            // (The same token is that fill's own lock when both reads were in one batch.)
            if (token === undefined || fillTokens.get(k) === token) return joined
            return Effect.andThen(remote.writeBehind(spec.kind, spec.key, undefined, token), joined)
          }
          // The fill of a read in the same batch may have finished already.
          const now = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
          const e1 = memory.get<A>(spec.kind, spec.key, now)
          if (e1 !== undefined) return served(span, spec, "l1", e1, now, facts, load)
          const done = Deferred.makeUnsafe<Option.Option<Filled<A>>, E>()
          inFlight.set(k, done as Pending<unknown, unknown>)
          if (token !== undefined) fillTokens.set(k, token)
          return FiberSet.run(
            background,
            fill(spec, load, loadOptions, read).pipe(
              Effect.withSpan("Cache.fill", lookupSpan[spec.kind], noStack),
              // The lookup span is the parent of the fill's spans (the lock, the load's provider calls).
              Effect.withParentSpan(span, noStack),
              Effect.exit,
              Effect.flatMap((exit) => Deferred.done(done, Exit.map(exit, Option.some))),
              Effect.ensuring(Effect.sync(() => {
                inFlight.delete(k)
                fillTokens.delete(k)
              }))
            )
          ).pipe(
            Effect.andThen(Deferred.await(done)),
            Effect.flatMap((filled) => answered(span, facts, Option.getOrThrow(filled)))
          )
        })

      const getOrLoad = <A, E, R>(spec: CacheSpec<A>, load: Effect.Effect<A, E, R>, loadOptions?: LoadOptions<E>): Effect.Effect<A, E, R> =>
        Effect.useSpan("Cache.lookup", lookupSpan[spec.kind], (span) =>
          Effect.withFiber((fiber) => {
            const now = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
            const facts = fiber.getRef(RequestFacts)
            facts.cacheLookups++
            const e1 = memory.get<A>(spec.kind, spec.key, now)
            if (e1 !== undefined) return served(span, spec, "l1", e1, now, facts, load)
            const tier = counters[spec.kind].l1
            const negative = negatives.get<E>(spec.kind, spec.key, now)
            if (negative !== undefined) {
              tier.hit.inc()
              span.attribute("cache.level", "l1")
              span.attribute("cache.hit", true)
              span.attribute("cache.negative", true)
              return Effect.fail(negative.value)
            }
            tier.miss.inc()
            return fromL2OrFill(spec, load, loadOptions, span, facts, now)
          }))

      /**
       * L1 missed. A key this process is already filling is awaited; otherwise
       * one L2 read that also takes the key's lock if L2 misses too (batched
       * with the other misses of this turn into one round trip), then the fill.
       */
      const fromL2OrFill = <A, E, R>(
        spec: CacheSpec<A>,
        load: Effect.Effect<A, E, R>,
        loadOptions: LoadOptions<E> | undefined,
        span: Tracer.Span,
        facts: RequestFacts,
        now: number
      ): Effect.Effect<A, E, R> => {
        if (!remote.enabled || inFlight.has(k1(spec.kind, spec.key))) return fillOnce(spec, load, loadOptions, missWithoutLock, span, facts)
        return Effect.flatMap(remote.readOrLock(spec.kind, spec.key, spec.codec, now, options.lockTtl), (read) => {
          if (read._tag !== "Hit") {
            counters[spec.kind].l2.miss.inc()
            return fillOnce(spec, load, loadOptions, read, span, facts)
          }
          l1Set(spec.kind, spec.key, read.entry)
          return served(span, spec, "l2", read.entry, now, facts, load)
        })
      }

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
          let worst: Level = "l1"
          const servedMany = (level: "l1" | "l2", key: string, entry: CacheEntry<A>) => {
            const tier = counters[kind][level]
            found.set(key, entry.value)
            tier.hit.inc()
            facts.reads?.push({ kind, key, entry })
            if (now >= entry.freshUntil) {
              tier.stale.inc()
              facts.cacheStale = true
              staleKeys.push(key)
            }
          }
          let missing: Array<string> = []
          for (const key of keys) {
            facts.cacheLookups++
            const e1 = memory.get<A>(kind, key, now)
            if (e1 === undefined) missing.push(key)
            else servedMany("l1", key, e1)
          }
          if (missing.length > 0) counters[kind].l1.miss.inc(missing.length)
          if (remote.enabled && missing.length > 0) {
            worst = "l2"
            // Issued together, the reads leave in one pipelined write.
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
                servedMany("l2", key, e2.value)
              }
            }
            if (missing.length > 0) counters[kind].l2.miss.inc(missing.length)
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
          yield* Effect.annotateCurrentSpan({ "cache.stale": staleKeys.length > 0 })
          if (missing.length === 0) {
            yield* Effect.annotateCurrentSpan({ "cache.level": worst, "cache.hit": true })
            return found
          }
          facts.cacheMisses += missing.length
          yield* Effect.annotateCurrentSpan({ "cache.level": "load", "cache.hit": false, "cache.missed": missing.length })
          // Keys another request is already filling are awaited, the rest loaded in one call.
          const waits: Array<readonly [string, Pending<A, E>]> = []
          const mine: Array<string> = []
          for (const key of missing) {
            const running = inFlight.get(k1(kind, key)) as Pending<A, E> | undefined
            if (running !== undefined) {
              counters[kind].joinedProcess.inc()
              waits.push([key, running])
            } else mine.push(key)
          }
          if (mine.length > 0) {
            const deferreds = new Map<string, Pending<A, E>>()
            for (const key of mine) {
              const d = Deferred.makeUnsafe<Option.Option<Filled<A>>, E>()
              deferreds.set(key, d)
              inFlight.set(k1(kind, key), d as Pending<unknown, unknown>)
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
                      return yield* Deferred.succeed(d, value === undefined ? Option.none() : Option.some({ value, level: "load", stale: false }))
                    }))
                ),
                Effect.ensuring(Effect.sync(() => mine.forEach((key) => inFlight.delete(k1(kind, key)))))
              )
            )
          }
          for (const [key, d] of waits) {
            const filled = yield* Deferred.await(d)
            if (Option.isSome(filled)) found.set(key, filled.value.value)
          }
          return found
        }).pipe(Effect.withSpan("Cache.lookupMany", { attributes: { "cache.policy": kind, keys: keys.length } }, noStack))

      const invalidate = (kind: CacheKind, key: string) =>
        Effect.gen(function*() {
          memory.delete(kind, key)
          negatives.delete(kind, key)
          yield* remote.tier.delete(kind, key).pipe(Effect.ignore)
          yield* remote.publish({ kind, key, origin: instance })
        })

      const invalidatePrefix = (kind: CacheKind, prefix: string) =>
        Effect.gen(function*() {
          memory.deletePrefix(kind, prefix)
          negatives.deletePrefix(kind, prefix)
          yield* remote.tier.deletePrefix(kind, prefix).pipe(Effect.ignore)
          yield* remote.publish({ kind, prefix, origin: instance })
        })

      // Other instances' invalidations drop our L1 copies.
      yield* remote.subscribe((message) =>
        message.origin === instance
          ? Effect.void
          : Effect.sync(() => {
            if (message.key !== undefined) {
              memory.delete(message.kind, message.key)
              negatives.delete(message.kind, message.key)
            }
            if (message.prefix !== undefined) {
              memory.deletePrefix(message.kind, message.prefix)
              negatives.deletePrefix(message.kind, message.prefix)
            }
          })
      )

      const peek = (kind: CacheKind, key: string, now: number) => memory.get<unknown>(kind, key, now)
      const countHits = (kind: CacheKind, n: number) => counters[kind].l1.hit.inc(n)
      return MarketCache.of({ getOrLoad, getOrLoadMany, invalidate, invalidatePrefix, peek, countHits })
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
