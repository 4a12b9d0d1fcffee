import { assert, describe, it } from "@effect/vitest"
import { Effect, Ref } from "effect"
import { type Instance, startInstance } from "../support/CacheTestApp.ts"
import {
  deleteNamespace,
  freePort,
  randomNamespace,
  redisClient,
  type RedisServerProcess,
  scanKeys,
  spawnRedisServer,
  waitUntil
} from "../support/RedisTest.ts"

const UNAVAILABLE = "cache L2 (Redis) unavailable; serving from L1, the store and providers"
const BACK = "cache L2 (Redis) is back"

const day = (base: string, plus: number) => new Date(Date.parse(`${base}T00:00:00Z`) + plus * 86_400_000).toISOString().slice(0, 10)

/** A bars URL no request has asked for before: an L1 miss, so the request goes to Redis. */
const coldUrl = (symbol: string, n: number) => `/v1/bars/${symbol}?interval=1d&from=${day("2021-01-04", n)}&to=${day("2021-02-04", n)}`

const messages = (instance: Instance, message: string) => instance.logs().filter((l) => l.message === message)

// The service's own Redis (a child redis-server) dies under load and comes
// back: no request fails, L1 keeps answering, the breaker opens once (one
// warning), and after its open time the restarted Redis is used again.
describe("Redis outage", () => {
  it.live("Redis killed mid-load: every request answered, L1 serves, the breaker opens once; restarted Redis is used again", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const namespace = randomNamespace("outage")
      const first: RedisServerProcess = yield* spawnRedisServer(port)
      const instance = yield* startInstance("A", { redisUrl: first.url, namespace })
      const m = instance.metric

      // A few listed symbols; the load mixes hot keys (L1 hits after their first load) and cold ones.
      const listing = yield* instance.getJson("/v1/instruments?market=CN&limit=6")
      const symbols: Array<string> = listing.body.data.instruments.map((i: { symbol: string }) => i.symbol)
      assert.strictEqual(symbols.length, 6)

      const hotUrl = (i: number) => {
        const month = 1 + (Math.floor(i / 6) % 2)
        return `/v1/bars/${symbols[i % 6]}?interval=1d&from=2024-0${month}-01&to=2024-0${month}-28`
      }
      const isCold = (i: number) => i % 4 === 0
      const urlOf = (i: number) => (isCold(i) ? coldUrl(symbols[i % 6]!, i) : hotUrl(i))

      const completed = yield* Ref.make(0)
      const failed: Array<string> = []
      let killed = false
      let coldAfterKill = 0
      const beforeKill = { l1Hits: -1, errors: -1 }
      const kill = Effect.gen(function*() {
        beforeKill.l1Hits = yield* m("cache_hits_total", { level: "l1" })
        beforeKill.errors = yield* m("cache_l2_errors_total")
        yield* first.kill
        killed = true
      })
      yield* Effect.forEach(
        Array.from({ length: 300 }, (_, i) => i),
        (i) =>
          Effect.gen(function*() {
            if (killed && isCold(i)) coldAfterKill++
            const answer = yield* instance.getJson(urlOf(i))
            if (answer.status !== 200) failed.push(`${urlOf(i)} → ${answer.status} ${JSON.stringify(answer.body)}`)
            // After the 100th answer, Redis dies (while 7 more requests are in flight).
            if ((yield* Ref.updateAndGet(completed, (n) => n + 1)) === 100) yield* kill
          }),
        { concurrency: 8 }
      )

      // Zero failed requests.
      assert.deepStrictEqual(failed, [])
      assert.strictEqual(yield* Ref.get(completed), 300)
      assert.isTrue(killed)
      assert.strictEqual(beforeKill.errors, 0, "Redis worked before the kill")
      // L1 kept serving after the kill.
      const l1Hits = yield* m("cache_hits_total", { level: "l1" })
      assert.isAbove(l1Hits - beforeKill.l1Hits, 100, `L1 hits at the kill ${beforeKill.l1Hits}, at the end ${l1Hits}`)
      // The breaker opened, once: one warning, not one per request …
      assert.strictEqual(yield* m("cache_l2_up"), 0)
      assert.strictEqual(messages(instance, UNAVAILABLE).length, 1)
      assert.strictEqual(messages(instance, UNAVAILABLE)[0]!.level, "warn")
      // … and Redis was hardly called any more: without the breaker each cold request
      // would have failed at least 4 Redis commands (get, lock, the lock holder's entry, set).
      const errors = yield* m("cache_l2_errors_total")
      assert.isAtLeast(coldAfterKill, 40)
      assert.isAtLeast(errors, 3, "the breaker opens after 3 failures")
      assert.isAtMost(errors, 20, `Redis errors during the outage: ${errors}, over ${coldAfterKill} cold requests`)
      assert.strictEqual(messages(instance, BACK).length, 0)

      // Redis comes back, empty, on the same port.
      const second = yield* spawnRedisServer(port)
      yield* Effect.addFinalizer(() => deleteNamespace(second.url, namespace).pipe(Effect.timeout("2 seconds"), Effect.ignore))
      const redis = yield* redisClient(second.url)
      assert.deepStrictEqual(yield* scanKeys(redis, `${namespace}:`), [])
      // Requests for new keys make the breaker probe once its open time (1 s, doubling) is over.
      let n = 1000
      yield* waitUntil(
        Effect.gen(function*() {
          const answer = yield* instance.getJson(coldUrl(symbols[n % 6]!, n++))
          assert.strictEqual(answer.status, 200)
          const written = yield* scanKeys(redis, `${namespace}:daily:`)
          return written.length > 0 && (yield* m("cache_l2_up")) === 1
        }),
        { within: "40 seconds", every: "200 millis", message: () => "the restarted Redis was not written to, or cache_l2_up stayed 0" }
      )
      assert.strictEqual(yield* m("cache_l2_up"), 1)
      assert.strictEqual(messages(instance, BACK).length, 1)
      assert.strictEqual(messages(instance, UNAVAILABLE).length, 1)
      // From now on every new entry goes to Redis (written behind the answer), without a single failed command.
      const errorsAfter = yield* m("cache_l2_errors_total")
      // The writes of the requests above have landed once two scans a poll apart agree.
      let lastCount = -1
      yield* waitUntil(
        Effect.map(scanKeys(redis, `${namespace}:daily:`), (keys) => {
          const settled = keys.length === lastCount
          lastCount = keys.length
          return settled
        }),
        { within: "5 seconds", every: "50 millis", message: () => "the entries written so far never settled" }
      )
      const keysBefore = (yield* scanKeys(redis, `${namespace}:daily:`)).length
      for (let i = 0; i < 3; i++) assert.strictEqual((yield* instance.getJson(coldUrl(symbols[i]!, n++))).status, 200)
      yield* waitUntil(Effect.map(scanKeys(redis, `${namespace}:daily:`), (keys) => keys.length >= keysBefore + 3), {
        within: "5 seconds",
        every: "20 millis",
        message: () => "the three new entries were not all written to Redis"
      })
      assert.strictEqual((yield* scanKeys(redis, `${namespace}:daily:`)).length, keysBefore + 3)
      assert.strictEqual(yield* m("cache_l2_errors_total"), errorsAfter)
    }), 60_000)
})
