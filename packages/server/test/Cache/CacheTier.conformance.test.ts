import { assert, describe, it } from "@effect/vitest"
import { BarSeries } from "@marketgate/domain/Bar"
import { Quote } from "@marketgate/domain/Quote"
import { Context, Duration, Effect, Exit, Layer, Option, Redacted, Schema, type Scope } from "effect"
import type { Redis } from "ioredis"
import { type CacheCodec, type CacheEntry, codecOf, entryKey } from "../../src/Cache/CacheEntry.ts"
import type { CacheKind } from "../../src/Cache/CachePolicy.ts"
import type { CacheTier } from "../../src/Cache/CacheTier.ts"
import { L1 } from "../../src/Cache/L1.ts"
import * as RedisRemoteCache from "../../src/Cache/RedisRemoteCache.ts"
import { FillLock } from "../../src/Cache/FillLock.ts"
import { SharedTier } from "../../src/Cache/SharedTier.ts"
import { MetricsRegistry } from "../../src/Observability/MetricsRegistry.ts"
import { deleteNamespace, randomNamespace, redisClient, scanKeys, testRedisUrl, waitUntil } from "../support/RedisTest.ts"

/**
 * One contract, every tier. A tier under test is made per namespace; its
 * `exists` looks underneath the tier (the L1's own lookup, the Redis
 * keyspace) to check where entries really live.
 */
interface TierUnderTest {
  readonly tier: (namespace: string) => Effect.Effect<CacheTier, unknown, Scope.Scope>
  /** Whether the storage holds exactly this key (`<namespace>:<kind>:<key>`), looked up without the tier. */
  readonly exists: (fullKey: string, now: number) => Effect.Effect<boolean, unknown, Scope.Scope>
  /** The remaining lifetime of a stored key in ms, where the storage has one. */
  readonly ttlMs?: (fullKey: string) => Effect.Effect<number, unknown, Scope.Scope>
}

const Text = codecOf(Schema.String)

const entry = <A>(codec: CacheCodec<A>, value: A, now: number, freshMs: number, staleMs: number): CacheEntry<A> => ({
  value,
  json: codec.encode(value),
  freshUntil: now + freshMs,
  staleUntil: now + staleMs
})

const text = (value: string, now: number, staleMs = 60_000) => entry(Text, value, now, staleMs / 2, staleMs)

const read = <A>(tier: CacheTier, kind: CacheKind, key: string, codec: CacheCodec<A>, now: number) =>
  Effect.map(tier.get(kind, key, codec, now), Option.getOrUndefined)

/** A real domain value: a daily bar, a suspended one, and an intraday one with its `ts`. */
const decodeBars = Schema.decodeUnknownEffect(BarSeries)
const decodeQuote = Schema.decodeUnknownEffect(Quote)
const barSeries = decodeBars({
  symbol: "600519.sh",
  interval: "1d",
  adjust: "qfq",
  from: "2024-01-02",
  to: "2024-01-04",
  bars: [
    { date: "2024-01-02", open: 1685.01, high: 1716.5, low: 1680, close: 1715.12345, volume: 3_215_300, amount: 5_480_123_456.78, suspended: false },
    { date: "2024-01-03", open: 1715.12345, high: 1715.12345, low: 1715.12345, close: 1715.12345, volume: 0, amount: 0, suspended: true },
    { date: "2024-01-04", ts: "2024-01-04T01:30:00.000Z", open: 0.1, high: 0.30000000000000004, low: 1e-7, close: 2.5e21, volume: 1, amount: 0, suspended: false }
  ]
})
const quote = decodeQuote({
  symbol: "600519.SH",
  name: "贵州茅台 «Kweichow Moutai» \"quoted\" \\ 🐉",
  price: 1700.5,
  open: 1690,
  high: 1710.25,
  low: 1688.8,
  prev_close: 1695,
  change: 5.5,
  change_pct: 0.32,
  volume: 1_234_500,
  amount: 2_098_765_432.1,
  status: "lunch_break",
  ts: "2024-06-03T03:30:00.000Z"
})

const conformance = (name: string, under: TierUnderTest) =>
  describe(`CacheTier contract: ${name}`, () => {
    // Each test gets namespaces of its own, so tests are independent of each other and of other files.
    const fresh = (label: string) => randomNamespace(`conf${name}${label}`)
    const test = (title: string, body: () => Effect.Effect<void, unknown, Scope.Scope>) =>
      it.live(title, body, 20_000)

    test("get answers none for a key never written; set then get answers the entry; delete removes it", () =>
      Effect.gen(function*() {
        const now = Date.now()
        const tier = yield* under.tier(fresh("basic"))
        assert.isUndefined(yield* read(tier, "daily", "k", Text, now))
        const written = text("hello", now)
        yield* tier.set("daily", "k", written, now)
        const got = yield* read(tier, "daily", "k", Text, now)
        assert.isDefined(got)
        assert.strictEqual(got!.value, "hello")
        assert.strictEqual(got!.json, written.json)
        assert.strictEqual(got!.freshUntil, written.freshUntil)
        assert.strictEqual(got!.staleUntil, written.staleUntil)
        // Overwrite replaces.
        yield* tier.set("daily", "k", text("world", now), now)
        assert.strictEqual((yield* read(tier, "daily", "k", Text, now))?.value, "world")
        yield* tier.delete("daily", "k")
        assert.isUndefined(yield* read(tier, "daily", "k", Text, now))
        // Deleting what is not there is not an error.
        yield* tier.delete("daily", "k")
        yield* tier.delete("quote", "never-written")
      }))

    test("TTL: an entry is present (fresh, then stale) strictly before staleUntil and absent from staleUntil on", () =>
      Effect.gen(function*() {
        const now = Date.now()
        const tier = yield* under.tier(fresh("ttl"))
        yield* tier.set("quote", "q", entry(Text, "v", now, 5_000, 35_000), now)
        const fresh_ = yield* read(tier, "quote", "q", Text, now + 4_999)
        assert.isDefined(fresh_)
        assert.isBelow(now + 4_999, fresh_!.freshUntil)
        // Stale (past freshUntil) but within its grace: still there, the caller decides what stale means.
        const stale = yield* read(tier, "quote", "q", Text, now + 34_999)
        assert.isDefined(stale)
        assert.isAtLeast(now + 34_999, stale!.freshUntil)
        assert.isUndefined(yield* read(tier, "quote", "q", Text, now + 35_000))
        assert.isUndefined(yield* read(tier, "quote", "q", Text, now + 10 * 60_000))
        // An entry written already expired is absent.
        yield* tier.set("quote", "dead", entry(Text, "x", now - 10_000, -5_000, -1), now)
        assert.isUndefined(yield* read(tier, "quote", "dead", Text, now))
      }))

    if (under.ttlMs !== undefined) {
      const ttlMs = under.ttlMs
      test("TTL in storage: the stored key expires at staleUntil (PTTL ≈ staleUntil − now)", () =>
        Effect.gen(function*() {
          const namespace = fresh("pttl")
          const tier = yield* under.tier(namespace)
          const now = Date.now()
          yield* tier.set("daily", "p", entry(Text, "v", now, 3_600_000, 6 * 3_600_000 + 1234), now)
          const pttl = yield* ttlMs(entryKey(namespace, "daily", "p"))
          const expected = 6 * 3_600_000 + 1234
          assert.isAtMost(pttl, expected)
          assert.isAbove(pttl, expected - 2_000, `PTTL ${pttl} should be about ${expected}`)
          // The key's lifetime follows the `now` the caller gives, not the clock.
          yield* tier.set("daily", "p2", entry(Text, "v", now, 1_000, 10_000), now - 5_000)
          const pttl2 = yield* ttlMs(entryKey(namespace, "daily", "p2"))
          assert.isAtMost(pttl2, 15_000)
          assert.isAbove(pttl2, 13_000, `PTTL ${pttl2} should be about 15000`)
        }))
    }

    test("keys: stored under exactly <namespace>:<kind>:<key>; namespaces and kinds are independent", () =>
      Effect.gen(function*() {
        const now = Date.now()
        const nsA = fresh("a")
        const nsB = fresh("b")
        const a = yield* under.tier(nsA)
        const b = yield* under.tier(nsB)
        const key = "600519.SH:1d:2024-01-01:2024-12-31:none"
        yield* a.set("daily", key, text("A-daily", now), now)
        assert.isTrue(yield* under.exists(`${nsA}:daily:${key}`, now))
        assert.isFalse(yield* under.exists(`${nsB}:daily:${key}`, now))
        assert.isFalse(yield* under.exists(`${nsA}:intraday:${key}`, now))
        assert.strictEqual(entryKey(nsA, "daily", key), `${nsA}:daily:${key}`)
        // Same kind and key under another namespace: not visible, then independent.
        assert.isUndefined(yield* read(b, "daily", key, Text, now))
        yield* b.set("daily", key, text("B-daily", now), now)
        // Same key under another kind: independent.
        yield* a.set("intraday", key, text("A-intraday", now), now)
        assert.strictEqual((yield* read(a, "daily", key, Text, now))?.value, "A-daily")
        assert.strictEqual((yield* read(b, "daily", key, Text, now))?.value, "B-daily")
        assert.strictEqual((yield* read(a, "intraday", key, Text, now))?.value, "A-intraday")
        assert.isUndefined(yield* read(b, "intraday", key, Text, now))
        yield* a.delete("daily", key)
        assert.isUndefined(yield* read(a, "daily", key, Text, now))
        assert.strictEqual((yield* read(b, "daily", key, Text, now))?.value, "B-daily")
        assert.strictEqual((yield* read(a, "intraday", key, Text, now))?.value, "A-intraday")
      }))

    test("deletePrefix: removes the kind's keys that start with the prefix, in this namespace only, and counts them", () =>
      Effect.gen(function*() {
        const now = Date.now()
        const nsA = fresh("pa")
        const nsB = fresh("pb")
        const a = yield* under.tier(nsA)
        const b = yield* under.tier(nsB)
        const keys = ["600519.SH:1d:x", "600519.SH:indicator:rsi:14", "600519.SH", "000001.SZ:1d:x", "600519.S", "x600519.SH"]
        for (const k of keys) {
          yield* a.set("daily", k, text(k, now), now)
          yield* a.set("intraday", k, text(k, now), now)
          yield* b.set("daily", k, text(k, now), now)
        }
        assert.strictEqual(yield* a.deletePrefix("daily", "600519.SH"), 3)
        const left = []
        for (const k of keys) if ((yield* read(a, "daily", k, Text, now)) !== undefined) left.push(k)
        assert.deepStrictEqual(left, ["000001.SZ:1d:x", "600519.S", "x600519.SH"])
        for (const k of keys) {
          assert.strictEqual((yield* read(a, "intraday", k, Text, now))?.value, k, `intraday ${k} untouched`)
          assert.strictEqual((yield* read(b, "daily", k, Text, now))?.value, k, `other namespace ${k} untouched`)
        }
        assert.strictEqual(yield* a.deletePrefix("daily", "600519.SH"), 0)
        // The empty prefix is every key of the kind.
        assert.strictEqual(yield* a.deletePrefix("daily", ""), 3)
        for (const k of keys) assert.isUndefined(yield* read(a, "daily", k, Text, now))
        assert.strictEqual((yield* read(a, "intraday", "600519.SH:1d:x", Text, now))?.value, "600519.SH:1d:x")
      }))

    test("deletePrefix: the prefix is literal text (glob characters match only themselves)", () =>
      Effect.gen(function*() {
        const now = Date.now()
        const tier = yield* under.tier(fresh("glob"))
        for (const k of ["a*:1", "ab:1", "a?c:1", "abc:1", "[x]:1", "x:1"]) yield* tier.set("daily", k, text(k, now), now)
        assert.strictEqual(yield* tier.deletePrefix("daily", "a*"), 1)
        assert.strictEqual(yield* tier.deletePrefix("daily", "a?c"), 1)
        assert.strictEqual(yield* tier.deletePrefix("daily", "[x]"), 1)
        for (const k of ["ab:1", "abc:1", "x:1"]) assert.isDefined(yield* read(tier, "daily", k, Text, now), `${k} kept`)
      }))

    test("serialisation: a BarSeries (branded Symbol) and a Quote round-trip through codecOf(schema) unchanged", () =>
      Effect.gen(function*() {
        const now = Date.now()
        const tier = yield* under.tier(fresh("codec"))
        const bars = yield* barSeries
        const q = yield* quote
        const barsCodec = codecOf(BarSeries)
        const quoteCodec = codecOf(Quote)
        const writtenBars = entry(barsCodec, bars, now, 3_600_000, 7 * 3_600_000)
        const writtenQuote = entry(quoteCodec, q, now, 5_000, 35_000)
        yield* tier.set("daily", "600519.SH:1d:2024-01-02:2024-01-04:qfq", writtenBars, now)
        yield* tier.set("quote", "600519.SH", writtenQuote, now)
        const gotBars = yield* read(tier, "daily", "600519.SH:1d:2024-01-02:2024-01-04:qfq", barsCodec, now)
        const gotQuote = yield* read(tier, "quote", "600519.SH", quoteCodec, now)
        assert.isDefined(gotBars)
        assert.isDefined(gotQuote)
        assert.deepStrictEqual(gotBars!.value, bars)
        assert.deepStrictEqual(gotQuote!.value, q)
        assert.strictEqual(gotBars!.value.symbol, "600519.SH")
        assert.isFalse(Object.hasOwn(gotBars!.value.bars[0]!, "ts"))
        assert.strictEqual(gotBars!.value.bars[2]!.ts, "2024-01-04T01:30:00.000Z")
        // The serialised form read back is the one written (served as bytes without re-encoding).
        assert.strictEqual(gotBars!.json, writtenBars.json)
        assert.strictEqual(gotQuote!.json, writtenQuote.json)
        assert.deepStrictEqual(JSON.parse(gotQuote!.json), JSON.parse(quoteCodec.encode(q)))
        assert.deepStrictEqual([gotBars!.freshUntil, gotBars!.staleUntil], [writtenBars.freshUntil, writtenBars.staleUntil])
      }))
  })

// ---------------------------------------------------------------------------
// The memory tier: the very L1 MarketCache uses (`L1.tier` is a view over the
// synchronous calls its lookups make), one per namespace as one per cache
// instance; `exists` asks the L1 directly, without the tier.
// ---------------------------------------------------------------------------
const l1s = new Map<string, L1>()
conformance("memory (L1)", {
  tier: (namespace) =>
    Effect.sync(() => {
      const l1 = new L1({ maxEntries: 100_000, maxBytes: 64 * 1024 * 1024 })
      l1s.set(namespace, l1)
      return l1.tier
    }),
  exists: (fullKey, now) =>
    Effect.sync(() => {
      // `<namespace>:<kind>:<key>` → that namespace's L1, (kind, key).
      const m = /^(.*?):(quote|overview|intraday|daily|instruments):(.*)$/.exec(fullKey)
      return m !== null && l1s.get(m[1]!)?.get(m[2] as CacheKind, m[3]!, now) !== undefined
    })
})

// ---------------------------------------------------------------------------
// The Redis tier (L2) against TEST_REDIS_URL: each namespace gets its own
// RedisRemoteCache layer; its keys are deleted when the test ends.
// ---------------------------------------------------------------------------
/** The shared tier of one namespace on TEST_REDIS_URL; its keys are deleted when the test ends. */
const remoteFor = (namespace: string) =>
  Effect.gen(function*() {
    yield* Effect.addFinalizer(() => deleteNamespace(testRedisUrl, namespace).pipe(Effect.ignore))
    const context = yield* Layer.build(
      RedisRemoteCache.layer({ url: Redacted.make(testRedisUrl), namespace, timeout: Duration.seconds(2) }).pipe(
        Layer.provide(MetricsRegistry.layerTest)
      )
    )
    const shared = Context.get(context, SharedTier)
    return { tier: shared.tier, writeBehind: shared.writeBehind, readOrLock: Context.get(context, FillLock).readOrLock }
  })

const redisTier = (namespace: string) =>
  Effect.gen(function*() {
    const tier = (yield* remoteFor(namespace)).tier
    // The layer is built before its connection is up (see the test below): wait until the tier answers.
    yield* waitUntil(Effect.isSuccess(tier.get("quote", "__ready__", Text, Date.now())), {
      within: "5 seconds",
      every: "20 millis",
      message: () => `the Redis tier at ${testRedisUrl} never answered`
    })
    return tier
  })

const withRedis = <A>(f: (redis: Redis) => Effect.Effect<A, unknown>) =>
  Effect.flatMap(redisClient(testRedisUrl), f)

conformance("redis", {
  tier: redisTier,
  exists: (fullKey) => withRedis((r) => Effect.tryPromise(() => r.exists(fullKey)).pipe(Effect.map((n) => n === 1))),
  ttlMs: (fullKey) => withRedis((r) => Effect.tryPromise(() => r.pttl(fullKey)))
})

describe("Redis tier specifics", () => {
  it.live("a stored value that does not decode is a CacheTierError (level l2, decode), not a crash or a wrong value", () =>
    Effect.gen(function*() {
      const namespace = randomNamespace("confcorrupt")
      const tier = yield* redisTier(namespace)
      const redis = yield* redisClient(testRedisUrl)
      const now = Date.now()
      yield* Effect.tryPromise(() => redis.set(`${namespace}:quote:bad-json`, "{not json", "PX", 60_000))
      yield* Effect.tryPromise(() => redis.set(`${namespace}:quote:bad-value`, `{"f":${now + 1},"s":${now + 2},"v":{"symbol":"x"}}`, "PX", 60_000))
      for (const key of ["bad-json", "bad-value"]) {
        const exit = yield* Effect.exit(tier.get("quote", key, codecOf(Quote), now))
        assert.isTrue(Exit.isFailure(exit), key)
        const error = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail")?.error : undefined
        assert.strictEqual(error?._tag, "CacheTierError")
        assert.strictEqual(error?.level, "l2")
        assert.strictEqual(error?.operation, "decode")
      }
      // Only this namespace's keys were written.
      assert.deepStrictEqual(yield* scanKeys(redis, `${namespace}:`), [`${namespace}:quote:bad-json`, `${namespace}:quote:bad-value`])
    }), 20_000)

  // The command client has no offline queue (the breaker decides while Redis
  // is down), so the layer must wait for its connection: otherwise the first
  // commands fail ("Stream isn't writeable") and open the breaker at start-up.
  it.live("a command issued right after the layer is built succeeds (the connection is awaited)", () =>
    Effect.gen(function*() {
      const namespace = randomNamespace("confconnect")
      yield* Effect.addFinalizer(() => deleteNamespace(testRedisUrl, namespace).pipe(Effect.ignore))
      const context = yield* Layer.build(
        RedisRemoteCache.layer({ url: Redacted.make(testRedisUrl), namespace, timeout: Duration.seconds(2) }).pipe(
          Layer.provide(MetricsRegistry.layerTest)
        )
      )
      const tier = Context.get(context, SharedTier).tier
      const now = Date.now()
      const exit = yield* Effect.exit(tier.set("quote", "first", text("first", now), now))
      assert.isTrue(Exit.isSuccess(exit), Exit.isFailure(exit) ? String(exit.cause) : "")
    }), 20_000)
})

// ---------------------------------------------------------------------------
// The shared lock on real Redis: READ_OR_LOCK (RedisFillLock.ts) and its release
// by the write-behind (RedisSharedTier.ts),
// and the batching of concurrent reads into one script call or one MGET.
// ---------------------------------------------------------------------------
const exists = (redis: Redis, key: string) => Effect.map(Effect.tryPromise(() => redis.exists(key)), (n) => n === 1)

describe("Redis shared lock and batched reads", () => {
  const lockTtl = Duration.seconds(5)

  it.live("read-or-lock: an absent key is locked for this reader, a second reader finds it busy; the write behind stores the value and frees the lock", () =>
    Effect.gen(function*() {
      const namespace = randomNamespace("lockcycle")
      const remote = yield* remoteFor(namespace)
      const redis = yield* redisClient(testRedisUrl)
      const now = Date.now()
      const first = yield* remote.readOrLock("daily", "600519.SH:1d", Text, now, lockTtl)
      assert.strictEqual(first._tag, "Miss")
      const token = first._tag === "Miss" ? first.token : undefined
      assert.isString(token, "the lock was taken for this reader")
      const ttl = yield* Effect.tryPromise(() => redis.pttl(`${namespace}:lock:daily:600519.SH:1d`))
      assert.isAbove(ttl, 4_000)
      assert.isAtMost(ttl, 5_000)
      assert.deepStrictEqual(yield* remote.readOrLock("daily", "600519.SH:1d", Text, now, lockTtl), { _tag: "Busy" })

      // A release with another token (and a write of another key after it, to know both were sent) leaves the lock.
      yield* remote.writeBehind("daily", "600519.SH:1d", undefined, "not-the-holder")
      yield* remote.writeBehind("daily", "marker", text("sent", now), undefined)
      yield* waitUntil(exists(redis, `${namespace}:daily:marker`), { within: "5 seconds", every: "10 millis", message: () => "the writes were never sent" })
      assert.strictEqual(yield* Effect.tryPromise(() => redis.exists(`${namespace}:lock:daily:600519.SH:1d`)), 1)

      const stored = text("the bars", now)
      yield* remote.writeBehind("daily", "600519.SH:1d", stored, token!)
      yield* waitUntil(Effect.map(exists(redis, `${namespace}:lock:daily:600519.SH:1d`), (b) => !b), {
        within: "5 seconds",
        every: "10 millis",
        message: () => "the lock was never released"
      })
      const after = yield* remote.readOrLock("daily", "600519.SH:1d", Text, now, lockTtl)
      assert.strictEqual(after._tag, "Hit")
      assert.deepStrictEqual(after._tag === "Hit" ? after.entry : undefined, stored)
      // The entry lives until its staleUntil, like any tier write.
      const entryTtl = yield* Effect.tryPromise(() => redis.pttl(`${namespace}:daily:600519.SH:1d`))
      assert.isAbove(entryTtl, 55_000)
      assert.isAtMost(entryTtl, 60_000)
    }), 20_000)

  it.live("a failed load's release frees the lock without writing an entry; an expired lock can be taken again", () =>
    Effect.gen(function*() {
      const namespace = randomNamespace("lockfree")
      const remote = yield* remoteFor(namespace)
      const redis = yield* redisClient(testRedisUrl)
      const now = Date.now()
      const first = yield* remote.readOrLock("quote", "AAPL.US", Text, now, lockTtl)
      assert.strictEqual(first._tag, "Miss")
      yield* remote.writeBehind("quote", "AAPL.US", undefined, first._tag === "Miss" ? first.token! : "")
      yield* waitUntil(Effect.map(scanKeys(redis, `${namespace}:`), (keys) => keys.length === 0), {
        within: "5 seconds",
        every: "10 millis",
        message: () => "the lock was never released"
      })

      const short = yield* remote.readOrLock("quote", "MSFT.US", Text, now, Duration.millis(50))
      assert.strictEqual(short._tag, "Miss")
      yield* waitUntil(Effect.map(exists(redis, `${namespace}:lock:quote:MSFT.US`), (held) => !held), {
        within: "5 seconds",
        every: "10 millis",
        message: () => "the 50 ms lock never expired"
      })
      const again = yield* remote.readOrLock("quote", "MSFT.US", Text, now, lockTtl)
      assert.strictEqual(again._tag, "Miss", "the holder's lock expired, so the next reader holds it")
      assert.notStrictEqual(again._tag === "Miss" ? again.token : undefined, short._tag === "Miss" ? short.token : undefined)
    }), 20_000)

  it.live("concurrent reads are batched: present, absent, locked, corrupt and repeated keys each get their own right answer", () =>
    Effect.gen(function*() {
      const namespace = randomNamespace("lockbatch")
      const remote = yield* remoteFor(namespace)
      const redis = yield* redisClient(testRedisUrl)
      const now = Date.now()
      const keys = Array.from({ length: 40 }, (_, i) => `k${i}`)
      // Even keys are stored, k1 is locked by another instance, k3 is corrupt, the other odd keys are absent.
      for (const key of keys.filter((_, i) => i % 2 === 0)) yield* remote.tier.set("quote", key, text(`value of ${key}`, now), now)
      yield* Effect.tryPromise(() => redis.set(`${namespace}:lock:quote:k1`, "another-instance", "PX", 5_000))
      yield* Effect.tryPromise(() => redis.set(`${namespace}:quote:k3`, "{not json", "PX", 5_000))
      const asked = [...keys, "k0", "k5"]
      const reads = yield* Effect.forEach(asked, (key) => remote.readOrLock("quote", key, Text, now, lockTtl), { concurrency: "unbounded" })
      const byKey = new Map<string, Array<(typeof reads)[number]>>()
      asked.forEach((key, i) => byKey.set(key, [...(byKey.get(key) ?? []), reads[i]!]))
      keys.forEach((key, i) => {
        const [read] = byKey.get(key)!
        if (i % 2 === 0) {
          assert.strictEqual(read!._tag, "Hit", key)
          assert.strictEqual(read!._tag === "Hit" ? read!.entry.value : undefined, `value of ${key}`)
        } else if (key === "k1") assert.strictEqual(read!._tag, "Busy", key)
        else if (key === "k3") assert.deepStrictEqual(read, { _tag: "Miss", token: undefined }, "an unreadable value is a miss without the lock")
        else {
          assert.strictEqual(read!._tag, "Miss", key)
          assert.isString(read!._tag === "Miss" ? read!.token : undefined, key)
        }
      })
      // A key asked for twice in one batch is read and locked once: both askers see the same answer.
      assert.deepStrictEqual(byKey.get("k5")![0], byKey.get("k5")![1])
      assert.strictEqual(byKey.get("k0")![1]!._tag, "Hit")
      const locks = (yield* scanKeys(redis, `${namespace}:lock:`)).length
      assert.strictEqual(locks, 1 + 18, "k1's lock and one per absent key (the corrupt k3 is not locked)")

      // Plain reads in one batch (one MGET) answer each key.
      const gets = yield* Effect.forEach(keys, (key) => Effect.exit(remote.tier.get("quote", key, Text, now)), { concurrency: "unbounded" })
      keys.forEach((key, i) => {
        const got = gets[i]!
        if (key === "k3") {
          assert.isTrue(Exit.isFailure(got), "the corrupt value fails its own read only")
          return
        }
        assert.isTrue(Exit.isSuccess(got), key)
        const value = Exit.isSuccess(got) ? Option.getOrUndefined(got.value)?.value : undefined
        assert.strictEqual(value, i % 2 === 0 ? `value of ${key}` : undefined, key)
      })
    }), 20_000)
})
