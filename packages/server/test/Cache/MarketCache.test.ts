import { assert, describe, it } from "@effect/vitest"
import { Clock, Data, Deferred, Duration, Effect, Exit, Fiber, Layer, Logger, Schema } from "effect"
import { TestClock } from "effect/testing"
import { type CacheEntry, codecOf } from "../../src/Cache/CacheEntry.ts"
import type { CacheKind } from "../../src/Cache/CachePolicy.ts"
import { defaultPolicies } from "../../src/Cache/CachePolicy.ts"
import { type CacheSpec, MarketCache, type MarketCacheOptions } from "../../src/Cache/MarketCache.ts"
import { FillLock, type SharedRead } from "../../src/Cache/FillLock.ts"
import { InvalidationBus } from "../../src/Cache/InvalidationBus.ts"
import { PopularityStore } from "../../src/Cache/PopularityStore.ts"
import { RemoteCache } from "../../src/Cache/RemoteCache.ts"
import { SharedTier } from "../../src/Cache/SharedTier.ts"
import { MetricsRegistry } from "../../src/Observability/MetricsRegistry.ts"

// Unit tests of MarketCache with fakes and the TestClock: no Redis
// (RemoteCache.layerNone), loaders whose latency is an Effect.sleep that
// TestClock.adjust drives. Daily policy here: fresh 60 s (±10 % jitter), grace 600 s.

const FRESH_MS = 60_000
const GRACE_MS = 600_000
/** Past the longest jittered freshness (1.1 × fresh). */
const PAST_FRESH = FRESH_MS * 1.1 + 1
/** Before the shortest jittered freshness (0.9 × fresh). */
const BEFORE_FRESH = FRESH_MS * 0.9 - 1

const baseOptions: MarketCacheOptions = {
  policies: { ...defaultPolicies, daily: { fresh: Duration.millis(FRESH_MS), grace: Duration.millis(GRACE_MS) } },
  maxEntries: 10_000,
  maxBytes: 64 * 1024 * 1024,
  namespace: "mg:unit:v1",
  lockTtl: Duration.seconds(5),
  lockWait: Duration.seconds(3),
  refreshConcurrency: 5,
  negativeTtl: Duration.seconds(30)
}

const cacheLayer = (
  overrides: Partial<MarketCacheOptions> = {},
  remote: Layer.Layer<RemoteCache> = RemoteCache.layerNone
) =>
  MarketCache.layer({ ...baseOptions, ...overrides }).pipe(
    Layer.provideMerge(remote),
    Layer.provideMerge(MetricsRegistry.layerTest)
  )

const Text = codecOf(Schema.String)
const spec = (key: string, kind: CacheKind = "daily"): CacheSpec<string> => ({ kind, key, codec: Text })

/** The sum of a metric's values whose labels include `labels`. */
const metric = (name: string, labels: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const { registry } = yield* MetricsRegistry
    const m = registry.getSingleMetric(name)
    if (m === undefined) return 0
    const got = yield* Effect.promise(async () => await m.get())
    return got.values
      .filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x))
      .reduce((sum, v) => sum + v.value, 0)
  })

/** Lets forked fibers run until `condition` holds (bounded; no time passes). */
const eventually = (condition: () => boolean, what: string) =>
  Effect.gen(function*() {
    for (let i = 0; i < 10_000; i++) {
      if (condition()) return
      yield* Effect.yieldNow
    }
    assert.fail(`never happened: ${what}`)
  })

/** Lets forked fibers run for a while, so that "nothing more happens" can be asserted. */
const settle = Effect.gen(function*() {
  for (let i = 0; i < 200; i++) yield* Effect.yieldNow
})

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

class Boom extends Data.TaggedError("Boom")<{ readonly n: number }> {}
class NoData extends Data.TaggedError("NoData")<{}> {}
class Unavailable extends Data.TaggedError("Unavailable")<{}> {}

/** A logger that keeps the messages it would print. */
const captureLogs = () => {
  const lines: Array<{ level: string; message: unknown }> = []
  const layer = Logger.layer([Logger.make(({ logLevel, message }) => {
    lines.push({ level: logLevel, message: Array.isArray(message) ? message.join(" ") : message })
  })])
  return { lines, layer }
}

describe("MarketCache", () => {
  it.effect("1,000 concurrent getOrLoad of one cold key: one loader call (200 ms), every caller gets the value", () =>
    Effect.gen(function*() {
      const cache = yield* MarketCache
      let calls = 0
      let done = 0
      const load = Effect.sync(() => ++calls).pipe(Effect.andThen(Effect.sleep("200 millis")), Effect.as("the value"))
      const fiber = yield* Effect.forkChild(
        Effect.forEach(range(1000), () => cache.getOrLoad(spec("cold"), load).pipe(Effect.tap(() => Effect.sync(() => done++))), {
          concurrency: "unbounded"
        })
      )
      // Every caller reaches the cache and waits on the one load before any time passes.
      yield* eventually(() => calls === 1, "the loader starts")
      let joined = 0
      for (let i = 0; i < 100 && joined < 999; i++) {
        yield* settle
        joined = yield* metric("cache_single_flight_joined_total", { policy: "daily", scope: "process" })
      }
      assert.strictEqual(joined, 999)
      yield* TestClock.adjust("199 millis")
      yield* settle
      assert.strictEqual(done, 0, "nobody is answered before the loader's 200 ms")
      yield* TestClock.adjust("1 millis")
      const values = yield* Fiber.join(fiber)
      assert.strictEqual(values.length, 1000)
      assert.isTrue(values.every((v) => v === "the value"))
      assert.strictEqual(calls, 1)
      assert.strictEqual(yield* metric("cache_loads_total", { policy: "daily", outcome: "success" }), 1)
      assert.strictEqual(yield* metric("cache_misses_total", { level: "l1", policy: "daily" }), 1000)
      // And the next one is an L1 hit.
      assert.strictEqual(yield* cache.getOrLoad(spec("cold"), load), "the value")
      assert.strictEqual(calls, 1)
      assert.strictEqual(yield* metric("cache_hits_total", { level: "l1", policy: "daily" }), 1)
    }).pipe(Effect.provide(cacheLayer())))

  it.effect("stale-while-revalidate: past the fresh TTL the stale value is served at once, with exactly one background refresh", () =>
    Effect.gen(function*() {
      const cache = yield* MarketCache
      let version = 1
      let calls = 0
      const load = Effect.sync(() => ++calls).pipe(Effect.andThen(Effect.sleep("200 millis")), Effect.map(() => `v${version}`))
      const first = yield* Effect.forkChild(cache.getOrLoad(spec("k"), load))
      yield* TestClock.adjust("200 millis")
      assert.strictEqual(yield* Fiber.join(first), "v1")
      version = 2

      // The entry was written at t = 200 ms. Before its shortest jittered freshness: fresh, no refresh.
      yield* TestClock.adjust(BEFORE_FRESH)
      assert.strictEqual(yield* cache.getOrLoad(spec("k"), load), "v1")
      yield* settle
      assert.strictEqual(calls, 1)
      assert.strictEqual(yield* metric("cache_stale_served_total"), 0)

      // Past the longest: 100 concurrent readers get v1 without any time passing …
      yield* TestClock.adjust(PAST_FRESH - BEFORE_FRESH)
      const readers = yield* Effect.forEach(range(100), () => cache.getOrLoad(spec("k"), load), { concurrency: "unbounded" })
      assert.isTrue(readers.every((v) => v === "v1"))
      assert.strictEqual(yield* metric("cache_stale_served_total", { level: "l1", policy: "daily" }), 100)
      // … and one refresh runs in the background.
      yield* eventually(() => calls === 2, "the refresh starts")
      yield* settle
      assert.strictEqual(calls, 2)
      assert.strictEqual(yield* metric("cache_refreshes_total"), 0, "the refresh is still loading")

      yield* TestClock.adjust("200 millis")
      for (let i = 0; i < 100 && (yield* metric("cache_refreshes_total", { outcome: "success" })) === 0; i++) yield* settle
      assert.strictEqual(yield* metric("cache_refreshes_total", { policy: "daily", outcome: "success" }), 1)
      // The refreshed value is served, fresh (no more stale answers, no more loads).
      assert.strictEqual(yield* cache.getOrLoad(spec("k"), load), "v2")
      yield* settle
      assert.strictEqual(calls, 2)
      assert.strictEqual(yield* metric("cache_stale_served_total"), 100)
    }).pipe(Effect.provide(cacheLayer())))

  it.effect("a failing refresh keeps the stale value served until fresh + grace, counted; after the grace the request loads and fails", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const cache = yield* MarketCache
      let calls = 0
      const ok = Effect.sync(() => ++calls).pipe(Effect.as("v1"))
      const failing = Effect.sync(() => ++calls).pipe(Effect.andThen((n) => Effect.fail(new Boom({ n }))))
      assert.strictEqual(yield* cache.getOrLoad(spec("k"), ok), "v1")

      const refreshFailures = () => metric("cache_refreshes_total", { policy: "daily", outcome: "failure" })
      const readStale = (expectedFailures: number) =>
        Effect.gen(function*() {
          assert.strictEqual(yield* cache.getOrLoad(spec("k"), failing), "v1")
          for (let i = 0; i < 100 && (yield* refreshFailures()) < expectedFailures; i++) yield* settle
          assert.strictEqual(yield* refreshFailures(), expectedFailures)
        })

      yield* TestClock.adjust(PAST_FRESH)
      yield* readStale(1)
      yield* TestClock.adjust("5 minutes")
      yield* readStale(2)
      // Just before the shortest possible hard TTL (0.9 × fresh + grace): still served.
      yield* TestClock.adjust(FRESH_MS * 0.9 + GRACE_MS - 1 - PAST_FRESH - 300_000)
      yield* readStale(3)
      assert.strictEqual(yield* metric("cache_stale_served_total", { level: "l1", policy: "daily" }), 3)
      assert.strictEqual(calls, 4)
      const warnings = logs.lines.filter((l) => l.level === "Warn" && String(l.message).includes("cache refresh failed"))
      assert.strictEqual(warnings.length, 3)

      // Past the longest possible hard TTL (1.1 × fresh + grace): gone; the request loads itself, and fails.
      yield* TestClock.adjust(FRESH_MS * 0.2 + 2)
      const exit = yield* Effect.exit(cache.getOrLoad(spec("k"), failing))
      assert.isTrue(Exit.isFailure(exit))
      assert.deepStrictEqual(Exit.isFailure(exit) ? exit.cause.reasons.map((r) => r._tag === "Fail" && r.error._tag) : [], ["Boom"])
      assert.strictEqual(calls, 5)
      assert.strictEqual(yield* metric("cache_loads_total", { policy: "daily", outcome: "failure" }), 1)
      assert.strictEqual(yield* metric("cache_stale_served_total"), 3)
      assert.strictEqual(yield* metric("cache_misses_total", { level: "l1", policy: "daily" }), 2)
    }).pipe(Effect.provide(Layer.merge(cacheLayer(), logs.layer)))
  })

  it.effect("at most refreshConcurrency (5) background refreshes run at once; one per key", () =>
    Effect.gen(function*() {
      const cache = yield* MarketCache
      const keys = range(10).map((i) => `k${i}`)
      for (const key of keys) yield* cache.getOrLoad(spec(key), Effect.succeed(`old ${key}`))
      yield* TestClock.adjust(PAST_FRESH)

      const gate = yield* Deferred.make<void>()
      let started = 0
      let running = 0
      let maxRunning = 0
      const blocking = (key: string) =>
        Effect.sync(() => {
          started++
          running++
          maxRunning = Math.max(maxRunning, running)
        }).pipe(
          Effect.andThen(Deferred.await(gate)),
          Effect.ensuring(Effect.sync(() => running--)),
          Effect.as(`new ${key}`)
        )

      // Every reader is answered at once with its stale value.
      const first = yield* Effect.forEach(keys, (key) => cache.getOrLoad(spec(key), blocking(key)), { concurrency: "unbounded" })
      assert.deepStrictEqual(first, keys.map((k) => `old ${k}`))
      yield* eventually(() => started === 5, "five refreshes start")
      yield* settle
      assert.strictEqual(started, 5, "the other five wait for a permit")
      assert.strictEqual(running, 5)
      // Reading again while their refreshes are pending or running starts no second refresh of any key.
      const second = yield* Effect.forEach(keys, (key) => cache.getOrLoad(spec(key), blocking(key)), { concurrency: "unbounded" })
      assert.deepStrictEqual(second, keys.map((k) => `old ${k}`))
      yield* settle
      assert.strictEqual(started, 5)

      yield* Deferred.succeed(gate, undefined)
      yield* eventually(() => started === 10 && running === 0, "every refresh runs")
      for (let i = 0; i < 100 && (yield* metric("cache_refreshes_total", { outcome: "success" })) < 10; i++) yield* settle
      assert.strictEqual(maxRunning, 5)
      assert.strictEqual(yield* metric("cache_refreshes_total", { policy: "daily", outcome: "success" }), 10)
      const after = yield* Effect.forEach(keys, (key) => cache.getOrLoad(spec(key), Effect.die("no load expected")))
      assert.deepStrictEqual(after, keys.map((k) => `new ${k}`))
    }).pipe(Effect.provide(cacheLayer())))

  it.effect("L1 bounded by entries: the least recently used entry is evicted, and counted", () =>
    Effect.gen(function*() {
      const cache = yield* MarketCache
      const calls = new Map<string, number>()
      const get = (key: string) =>
        cache.getOrLoad(spec(key), Effect.sync(() => calls.set(key, (calls.get(key) ?? 0) + 1)).pipe(Effect.as(`value ${key}`)))
      for (const key of ["a", "b", "c"]) yield* get(key)
      assert.strictEqual(yield* metric("cache_evictions_total"), 0)
      yield* get("a") // a is now the most recently used: b is the least
      yield* get("d") // a fourth entry pushes out b
      assert.strictEqual(yield* metric("cache_evictions_total", { level: "l1", policy: "daily" }), 1)
      assert.strictEqual(yield* metric("cache_entries"), 3)
      for (const key of ["a", "c", "d"]) yield* get(key)
      assert.deepStrictEqual([...calls], [["a", 1], ["b", 1], ["c", 1], ["d", 1]], "a, c and d were still cached")
      yield* get("b") // loaded again, and pushes out the least recently used: a
      assert.strictEqual(calls.get("b"), 2)
      assert.strictEqual(yield* metric("cache_evictions_total", { level: "l1", policy: "daily" }), 2)
      yield* get("c")
      yield* get("d")
      assert.strictEqual(calls.get("c"), 1)
      yield* get("a")
      assert.strictEqual(calls.get("a"), 2)
    }).pipe(Effect.provide(cacheLayer({ maxEntries: 3 }))))

  it.effect("L1 bounded by bytes of serialised values: least recently used entries go first, counted; a value larger than L1 is not kept", () =>
    Effect.gen(function*() {
      const cache = yield* MarketCache
      const calls = new Map<string, number>()
      // A string of n characters serialises to n + 2 (its quotes).
      const get = (key: string, length: number) =>
        cache.getOrLoad(spec(key), Effect.sync(() => calls.set(key, (calls.get(key) ?? 0) + 1)).pipe(Effect.as(key.repeat(length))))
      yield* get("a", 38) // 40 bytes
      yield* get("b", 38) // 80
      yield* get("a", 38) // a most recent
      yield* get("c", 38) // 120 > 100: b goes
      assert.strictEqual(yield* metric("cache_evictions_total", { level: "l1", policy: "daily" }), 1)
      assert.strictEqual(yield* metric("cache_bytes"), 80)
      yield* get("a", 38)
      yield* get("c", 38)
      assert.deepStrictEqual([calls.get("a"), calls.get("c")], [1, 1])
      yield* get("b", 38)
      assert.strictEqual(calls.get("b"), 2, "b was evicted")
      assert.strictEqual(yield* metric("cache_evictions_total"), 2) // a went for b
      yield* get("d", 90) // 92 bytes: both others go
      assert.strictEqual(yield* metric("cache_evictions_total"), 4)
      assert.strictEqual(yield* metric("cache_entries"), 1)
      assert.strictEqual(yield* metric("cache_bytes"), 92)
      // 120 bytes never fit: not stored, nothing evicted for it, loaded on every request.
      yield* get("e", 118)
      yield* get("e", 118)
      assert.strictEqual(calls.get("e"), 2)
      assert.strictEqual(yield* metric("cache_evictions_total"), 4)
      yield* get("d", 90)
      assert.strictEqual(calls.get("d"), 1)
    }).pipe(Effect.provide(cacheLayer({ maxBytes: 100 }))))

  it.effect("negative results are remembered for negativeTtl, then forgotten; other failures are not remembered", () =>
    Effect.gen(function*() {
      const cache = yield* MarketCache
      let calls = 0
      let answer: "none" | "value" = "none"
      const load = Effect.suspend(() => {
        calls++
        return answer === "none" ? Effect.fail(new NoData()) : Effect.succeed("listed now")
      })
      const negative = { negative: (e: NoData | Unavailable) => e._tag === "NoData" }
      const tagOf = (exit: Exit.Exit<unknown, { _tag: string }>) =>
        Exit.isFailure(exit) ? exit.cause.reasons.map((r) => (r._tag === "Fail" ? r.error._tag : r._tag)).join() : "success"

      assert.strictEqual(tagOf(yield* Effect.exit(cache.getOrLoad(spec("nope"), load, negative))), "NoData")
      assert.strictEqual(calls, 1)
      yield* TestClock.adjust(Duration.toMillis(baseOptions.negativeTtl) - 1)
      assert.strictEqual(tagOf(yield* Effect.exit(cache.getOrLoad(spec("nope"), load, negative))), "NoData")
      assert.strictEqual(calls, 1, "answered from memory")
      answer = "value"
      yield* TestClock.adjust(1)
      assert.strictEqual(yield* cache.getOrLoad(spec("nope"), load, negative), "listed now")
      assert.strictEqual(calls, 2, "forgotten after negativeTtl")

      let other = 0
      const unavailable = Effect.suspend(() => {
        other++
        return Effect.fail(new Unavailable())
      })
      for (let i = 0; i < 3; i++) {
        assert.strictEqual(tagOf(yield* Effect.exit(cache.getOrLoad(spec("down"), unavailable, negative))), "Unavailable")
      }
      assert.strictEqual(other, 3)
      // Without a `negative` option nothing is remembered either.
      answer = "none"
      for (let i = 0; i < 2; i++) yield* Effect.exit(cache.getOrLoad(spec("plain"), load))
      assert.strictEqual(calls, 4)
    }).pipe(Effect.provide(cacheLayer())))

  it.effect("TTL jitter: entries written at one instant get freshness spread over ±10 %, not one shared deadline", () => {
    const written: Array<{ readonly entry: CacheEntry<unknown>; readonly now: number }> = []
    // A shared tier that only records what is written to it (disabled, so nothing is read from it).
    const recording = Layer.mergeAll(
      Layer.effect(
        SharedTier,
        Effect.map(SharedTier, (none) =>
          SharedTier.of({
            ...none,
            writeBehind: (_kind, _key, entry) =>
              Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => void (entry !== undefined && written.push({ entry, now }))))
          }))
      ).pipe(Layer.provide(SharedTier.layerNone)),
      FillLock.layerNone,
      InvalidationBus.layerNone,
      PopularityStore.layerNone
    )
    const FRESH = 100_000
    const N = 200
    return Effect.gen(function*() {
      const cache = yield* MarketCache
      const keys = range(N).map((i) => `k${i}`)
      for (const key of keys) yield* cache.getOrLoad(spec(key), Effect.succeed(key))
      assert.strictEqual(written.length, N)
      const fresh = written.map((w) => w.entry.freshUntil - w.now)
      const min = Math.min(...fresh)
      const max = Math.max(...fresh)
      assert.isAtLeast(min, FRESH * 0.9)
      assert.isAtMost(max, FRESH * 1.1)
      assert.isAbove(max - min, FRESH * 0.15, `spread ${min}…${max}`)
      assert.isAbove(new Set(fresh).size, N / 2)
      const mean = fresh.reduce((a, b) => a + b, 0) / N
      assert.closeTo(mean, FRESH, FRESH * 0.03)
      // The grace is added to each entry's own freshness.
      for (const w of written) assert.strictEqual(w.entry.staleUntil - w.entry.freshUntil, GRACE_MS)

      // The same spread, seen from outside: how many reads are stale at a few instants.
      const staleNow = Effect.gen(function*() {
        const before = yield* metric("cache_stale_served_total")
        for (const key of keys) yield* cache.getOrLoad(spec(key), Effect.never)
        return (yield* metric("cache_stale_served_total")) - before
      })
      yield* TestClock.adjust(FRESH * 0.9 - 1)
      assert.strictEqual(yield* staleNow, 0)
      yield* TestClock.adjust(FRESH * 0.1 + 1)
      const atFresh = yield* staleNow
      assert.isAbove(atFresh, N * 0.2)
      assert.isBelow(atFresh, N * 0.8)
      yield* TestClock.adjust(FRESH * 0.1)
      assert.strictEqual(yield* staleNow, N)
    }).pipe(Effect.provide(cacheLayer(
      { policies: { ...baseOptions.policies, daily: { fresh: Duration.millis(FRESH), grace: Duration.millis(GRACE_MS) } } },
      recording
    )))
  })
})

describe("MarketCache: single and batch loads of one key, and the cluster lock", () => {
  // getOrLoad and getOrLoadMany share one map of loads in flight: each must
  // read the other's pending value correctly.
  it.effect("getOrLoadMany joining a getOrLoad load of the same key gets the value", () =>
    Effect.gen(function*() {
      const cache = yield* MarketCache
      const single = yield* Effect.forkChild(
        cache.getOrLoad(spec("600519.SH", "quote"), Effect.sleep("100 millis").pipe(Effect.as("quote of 600519.SH")))
      )
      yield* settle
      const many = yield* Effect.forkChild(
        cache.getOrLoadMany("quote", Text, ["600519.SH"], () => Effect.succeed(new Map([["600519.SH", "from the batch"]])))
      )
      yield* settle
      yield* TestClock.adjust("100 millis")
      assert.strictEqual(yield* Fiber.join(single), "quote of 600519.SH")
      const found = yield* Fiber.join(many)
      assert.isTrue(found.has("600519.SH"), "the key is silently missing from the answer")
    }).pipe(Effect.provide(cacheLayer())))

  it.effect("getOrLoad joining a getOrLoadMany load of the same key gets the value, not an Option", () =>
    Effect.gen(function*() {
      const cache = yield* MarketCache
      const many = yield* Effect.forkChild(
        cache.getOrLoadMany("quote", Text, ["AAPL.US"], () =>
          Effect.sleep("100 millis").pipe(Effect.as(new Map([["AAPL.US", "quote of AAPL.US"]]))))
      )
      yield* settle
      const single = yield* Effect.forkChild(cache.getOrLoad(spec("AAPL.US", "quote"), Effect.succeed("single")))
      yield* settle
      yield* TestClock.adjust("100 millis")
      assert.strictEqual((yield* Fiber.join(many)).get("AAPL.US"), "quote of AAPL.US")
      const value: unknown = yield* Fiber.join(single)
      assert.strictEqual(value, "quote of AAPL.US", `got ${JSON.stringify(value)}`)
    }).pipe(Effect.provide(cacheLayer())))

  // Across instances, a key missing from L1 is read from L2 and, when L2
  // misses too, its lock is taken in the same round trip (RedisFillLock's
  // READ_OR_LOCK script; its semantics are tested on real Redis in
  // CacheTier.conformance.test.ts). A fake shared tier scripts the answers.
  const scripted = (reads: ReadonlyArray<SharedRead<string>>, released: Array<{ token: string; value: unknown }>) => {
    let next = 0
    return Layer.mergeAll(
      Layer.effect(
        SharedTier,
        Effect.map(SharedTier, (none) =>
          SharedTier.of({
            ...none,
            enabled: true,
            // Only writes that release a lock are recorded.
            writeBehind: (_kind, _key, entry, token) =>
              Effect.sync(() => void (token !== undefined && released.push({ token, value: entry?.value })))
          }))
      ).pipe(Layer.provide(SharedTier.layerNone)),
      Layer.succeed(FillLock, FillLock.of({ readOrLock: <A>() => Effect.sync(() => reads[Math.min(next++, reads.length - 1)] as unknown as SharedRead<A>) })),
      InvalidationBus.layerNone,
      PopularityStore.layerNone
    )
  }
  const theirs: CacheEntry<string> = { value: "stored by the other instance", json: "\"stored by the other instance\"", freshUntil: 60_000, staleUntil: 660_000 }

  it.effect("another instance holds the lock: this one waits for its value and does not call the loader", () => {
    const released: Array<{ token: string; value: unknown }> = []
    return Effect.gen(function*() {
      const cache = yield* MarketCache
      let calls = 0
      const fiber = yield* Effect.forkChild(cache.getOrLoad(spec("600519.SH:1d"), Effect.sync(() => ++calls).pipe(Effect.as("loaded again"))))
      // Busy at the first read and at the first poll (25 ms later); the value is there at the second poll.
      yield* TestClock.adjust("50 millis")
      const value = yield* Fiber.join(fiber)
      assert.strictEqual(calls, 0, `the provider was called (answer: ${value})`)
      assert.strictEqual(value, "stored by the other instance")
      assert.strictEqual(yield* metric("cache_single_flight_joined_total", { scope: "cluster" }), 1)
      assert.strictEqual(yield* metric("cache_misses_total", { level: "l2" }), 1)
      assert.deepStrictEqual(released, [], "a lock it never held is not released")
      // Now in L1.
      assert.strictEqual(yield* cache.getOrLoad(spec("600519.SH:1d"), Effect.die("not loaded again")), "stored by the other instance")
    }).pipe(Effect.provide(cacheLayer({}, scripted([{ _tag: "Busy" }, { _tag: "Busy" }, { _tag: "Hit", entry: theirs }], released))))
  })

  it.effect("the lock holder died: once its lock expires this instance takes it, loads, and stores with its token", () => {
    const released: Array<{ token: string; value: unknown }> = []
    return Effect.gen(function*() {
      const cache = yield* MarketCache
      let calls = 0
      const fiber = yield* Effect.forkChild(cache.getOrLoad(spec("000001.SZ:1d"), Effect.sync(() => ++calls).pipe(Effect.as("loaded here"))))
      yield* TestClock.adjust("75 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "loaded here")
      assert.strictEqual(calls, 1)
      yield* eventually(() => released.length === 1, "the entry is stored and the lock released")
      assert.deepStrictEqual(released, [{ token: "ours", value: "loaded here" }])
      assert.strictEqual(yield* metric("cache_single_flight_joined_total", { scope: "cluster" }), 0)
    }).pipe(Effect.provide(cacheLayer({}, scripted([{ _tag: "Busy" }, { _tag: "Busy" }, { _tag: "Miss", token: "ours" }], released))))
  })

  it.effect("waiting on another instance is bounded by lockWait: then this instance loads without the lock", () => {
    const released: Array<{ token: string; value: unknown }> = []
    return Effect.gen(function*() {
      const cache = yield* MarketCache
      let calls = 0
      const fiber = yield* Effect.forkChild(cache.getOrLoad(spec("300750.SZ:1d"), Effect.sync(() => ++calls).pipe(Effect.as("loaded after waiting"))))
      yield* TestClock.adjust("2999 millis")
      yield* settle
      assert.strictEqual(calls, 0, "still waiting before lockWait")
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "loaded after waiting")
      assert.strictEqual(calls, 1)
      yield* settle
      assert.deepStrictEqual(released, [], "no lock was taken, so none is released")
    }).pipe(Effect.provide(cacheLayer({}, scripted([{ _tag: "Busy" }], released))))
  })

  it.effect("a failed load releases the lock it took (without storing), so other instances need not wait for it to expire", () => {
    const released: Array<{ token: string; value: unknown }> = []
    return Effect.gen(function*() {
      const cache = yield* MarketCache
      const exit = yield* Effect.exit(cache.getOrLoad(spec("688981.SH:1d"), Effect.fail(new Unavailable())))
      assert.isTrue(Exit.isFailure(exit))
      yield* eventually(() => released.length === 1, "the lock is released")
      assert.deepStrictEqual(released, [{ token: "mine", value: undefined }])
    }).pipe(Effect.provide(cacheLayer({}, scripted([{ _tag: "Miss", token: "mine" }], released))))
  })
})
