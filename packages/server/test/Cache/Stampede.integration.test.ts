import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { startInstance } from "../support/CacheTestApp.ts"
import { parseProm } from "../support/PromText.ts"
import { scopedNamespace, testRedisUrl } from "../support/RedisTest.ts"

// A cold key hit by 1,000 concurrent requests spread over two instances that
// share a Redis namespace, in front of a provider that takes 200 ms: one
// provider call in total (single flight per process, and across instances by
// the Redis lock).
describe("cache stampede", () => {
  it.live("1,000 concurrent requests for one cold key on two instances: all 200, identical, one provider call", () =>
    Effect.gen(function*() {
      const namespace = yield* scopedNamespace("stampede")
      const options = { redisUrl: testRedisUrl, namespace, latency: Duration.millis(200) }
      const [a, b] = yield* Effect.all([startInstance("A", options), startInstance("B", options)], { concurrency: 2 })
      const instances = [a, b]
      const url = "/v1/bars/600519.SH?interval=1d&from=2024-01-01&to=2024-12-31"
      const sum = (name: string, labels: Record<string, string>) =>
        Effect.map(Effect.forEach(instances, (i) => i.metric(name, labels)), (xs) => xs.reduce((s, x) => s + x, 0))

      // Starting up loaded the instrument catalog from the provider: that is not a bars call.
      assert.isAtLeast(yield* sum("datasource_requests_total", { operation: "instruments" }), 2)
      assert.strictEqual(yield* sum("datasource_requests_total", { operation: "dailyBars" }), 0)

      const answers = yield* Effect.forEach(
        Array.from({ length: 1000 }, (_, i) => instances[i % 2]!),
        (instance) => instance.getJson(url),
        { concurrency: "unbounded" }
      )
      const statuses = new Map<number, number>()
      for (const r of answers) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
      assert.deepStrictEqual([...statuses], [[200, 1000]])
      const data = answers.map((r) => JSON.stringify(r.body.data))
      assert.strictEqual(new Set(data).size, 1, "every answer carries the same data")
      assert.strictEqual(answers[0]!.body.data.bars.length, 242)

      // The provider was asked for these bars once, by one of the two instances.
      const perInstance = yield* Effect.forEach(instances, (i) => i.metric("datasource_requests_total", { operation: "dailyBars" }))
      assert.strictEqual(perInstance[0]! + perInstance[1]!, 1, `dailyBars calls per instance: ${perInstance}`)
      assert.strictEqual(yield* sum("cache_loads_total", { policy: "daily" }), 1)
      // Requests waited on the running load in their own process, and the other instance waited on the lock holder.
      const joined = (scope: string) => sum("cache_single_flight_joined_total", { policy: "daily", scope })
      assert.isAbove(yield* joined("process"), 0)
      assert.strictEqual(yield* joined("cluster"), 1)
      const loader = perInstance[0] === 1 ? a : b
      const waiter = loader === a ? b : a
      assert.strictEqual(yield* waiter.metric("cache_single_flight_joined_total", { scope: "cluster" }), 1)
      assert.strictEqual(yield* loader.metric("cache_single_flight_joined_total", { scope: "cluster" }), 0)
      // The breaker never saw Redis fail under this burst (else the lock could not have held).
      const l2Errors = yield* Effect.forEach(instances, (i) =>
        Effect.map(i.metricsText, (text) => parseProm(text).filter((s) => s.name === "cache_l2_errors_total" && s.value > 0)))
      assert.deepStrictEqual(l2Errors.flat(), [], "Redis commands that failed or timed out")
    }), 60_000)
})
