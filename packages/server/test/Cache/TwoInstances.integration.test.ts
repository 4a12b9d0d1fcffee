import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { startInstance } from "../support/CacheTestApp.ts"
import { redisClient, scanKeys, scopedNamespace, testRedisUrl, waitUntil } from "../support/RedisTest.ts"

// Two instances of the real service (each its own PGlite store) sharing one
// Redis namespace: what one loads, the other reads from L2; what one
// invalidates, the other drops from its L1 (pub/sub).
describe("two instances sharing Redis", () => {
  it.live("an entry loaded by A is an L2 hit on B; an invalidation on A removes B's L1 copy", () =>
    Effect.gen(function*() {
      const namespace = yield* scopedNamespace("twoinstances")
      const redis = yield* redisClient(testRedisUrl)
      const options = { redisUrl: testRedisUrl, namespace, latency: Duration.millis(20) }
      const [a, b] = yield* Effect.all([startInstance("A", options), startInstance("B", options)], { concurrency: 2 })
      const url = "/v1/bars/600519.SH?interval=1d&from=2024-01-01&to=2024-12-31"
      const bars = { operation: "dailyBars" }
      const daily = (level: string) => ({ level, policy: "daily" })

      // A loads it from the provider and stores it in L1 and L2.
      const fromA = yield* a.getJson(url)
      assert.strictEqual(fromA.status, 200)
      assert.strictEqual(fromA.headers["x-cache"], "miss")
      assert.strictEqual(fromA.body.data.bars.length, 242)
      assert.strictEqual(yield* a.metric("datasource_requests_total", bars), 1)
      const stored = yield* scanKeys(redis, `${namespace}:daily:`)
      assert.deepStrictEqual(stored, [`${namespace}:daily:600519.SH:1d:2024-01-01:2024-12-31:none`])

      // B finds it in L2: a hit, no provider call.
      const l2HitsBefore = yield* b.metric("cache_hits_total", daily("l2"))
      const fromB = yield* b.getJson(url)
      assert.strictEqual(fromB.status, 200)
      assert.strictEqual(fromB.headers["x-cache"], "hit")
      assert.isTrue(fromB.body.performance.cache_hit)
      assert.deepStrictEqual(fromB.body.data, fromA.body.data)
      assert.strictEqual(yield* b.metric("cache_hits_total", daily("l2")), l2HitsBefore + 1)
      assert.strictEqual(yield* b.metric("cache_misses_total", daily("l1")), 1)
      assert.strictEqual(yield* b.metric("datasource_requests_total", bars), 0)
      assert.strictEqual(yield* b.metric("cache_loads_total"), 0)

      // B now holds it in L1.
      const again = yield* b.getJson(url)
      assert.strictEqual(again.headers["x-cache"], "hit")
      assert.strictEqual(yield* b.metric("cache_hits_total", daily("l1")), 1)
      assert.strictEqual(yield* b.metric("cache_hits_total", daily("l2")), l2HitsBefore + 1)
      assert.strictEqual(yield* b.metric("cache_entries"), 1)

      // A invalidates the symbol's daily entries: its L1, L2, and (by pub/sub) B's L1.
      const invalidated = yield* a.postJson("/v1/admin/cache/invalidate", { symbols: ["600519.SH"], kinds: ["daily"] })
      assert.strictEqual(invalidated.status, 200)
      assert.deepStrictEqual(invalidated.body.data.invalidated, [{ kind: "daily", prefix: "600519.SH" }])
      assert.deepStrictEqual(yield* scanKeys(redis, `${namespace}:daily:`), [])
      yield* waitUntil(Effect.map(b.metric("cache_entries"), (n) => n === 0), {
        within: "5 seconds",
        message: () => "B's L1 still holds the entry: the invalidation message never arrived"
      })

      // B's next request is an L1 miss (and an L2 miss), loaded again from the provider.
      const l1MissesBefore = yield* b.metric("cache_misses_total", daily("l1"))
      const l1HitsBefore = yield* b.metric("cache_hits_total", daily("l1"))
      const reloaded = yield* b.getJson(url)
      assert.strictEqual(reloaded.status, 200)
      assert.strictEqual(reloaded.headers["x-cache"], "miss")
      assert.strictEqual(yield* b.metric("cache_misses_total", daily("l1")), l1MissesBefore + 1)
      assert.strictEqual(yield* b.metric("cache_misses_total", daily("l2")), 1)
      assert.strictEqual(yield* b.metric("cache_hits_total", daily("l1")), l1HitsBefore)
      assert.strictEqual(yield* b.metric("datasource_requests_total", bars), 1)
      assert.deepStrictEqual(reloaded.body.data, fromA.body.data)

      // … which put it back in L2: A's own L1 copy is gone too, so A now reads it from L2.
      const aL2Before = yield* a.metric("cache_hits_total", daily("l2"))
      const fromAAgain = yield* a.getJson(url)
      assert.strictEqual(fromAAgain.headers["x-cache"], "hit")
      assert.strictEqual(yield* a.metric("cache_hits_total", daily("l2")), aL2Before + 1)
      assert.strictEqual(yield* a.metric("datasource_requests_total", bars), 1)
    }), 60_000)
})
