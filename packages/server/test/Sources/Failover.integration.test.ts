import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import type { SourceHealth } from "@marketgate/domain/SourceHealth"
import { Symbol } from "@marketgate/domain/Symbol"
import { Duration, Effect, Fiber, Layer, Schema } from "effect"
import { TestClock } from "effect/testing"
import { MetricsRegistry } from "../../src/Observability/MetricsRegistry.ts"
import { MarketDataSource } from "../../src/Sources/MarketDataSource.ts"
import { type SourceSettings, tierDefaults } from "../../src/Sources/Resilience/SourceSettings.ts"
import * as Sina from "../../src/Sources/Sina/SinaSource.ts"
import * as Sources from "../../src/Sources/SourcesLayer.ts"
import { SourceRouter } from "../../src/Sources/SourceRouter.ts"
import * as Tencent from "../../src/Sources/Tencent/TencentSource.ts"
import * as Yahoo from "../../src/Sources/Yahoo/YahooSource.ts"
import { ReplayServer } from "../support/ReplayServer.ts"

const sym = Schema.decodeUnknownSync(Symbol)
const ETF = sym("510500.SH") // recorded by both Tencent and Sina

/**
 * Free-tier defaults (breaker: 3 consecutive failures, 30 s open; 2 s timeout;
 * the documented AIMD rate), except: no retries, so every call is one HTTP
 * request the replay server can count, and a rate high enough that the frozen
 * TestClock (the token bucket refills with time) never throttles these tests.
 */
const free = (name: string, priority: number, overrides: Partial<SourceSettings> = {}): SourceSettings => ({
  ...tierDefaults.free,
  name,
  priority,
  tier: "free",
  retries: 0,
  rateLimit: { ...tierDefaults.free.rateLimit, maxPerSecond: 1000 },
  ...overrides
})

/** Tencent first, then Sina, then Yahoo, each a real adapter over the replay server, behind its policies. */
const routed = Layer.unwrap(
  Effect.map(ReplayServer, ({ baseUrl }) =>
    Sources.layerFor([
      { layer: Tencent.layer({ baseUrl }), settings: free("tencent", 0) },
      { layer: Sina.layer({ baseUrl }), settings: free("sina", 1) },
      { layer: Yahoo.layer({ baseUrl }), settings: free("yahoo", 2) }
    ], { budget: Duration.seconds(4) }))
).pipe(
  Layer.provideMerge(Layer.mergeAll(ReplayServer.layer, MetricsRegistry.layerTest)),
  Layer.provide(NodeHttpClient.layerUndici)
)

const quote = Effect.flatMap(MarketDataSource, (s) => s.quotes([ETF]))

const healthOf = (name: string) =>
  Effect.flatMap(SourceRouter, (r) => Effect.map(r.health, (all) => all.find((h) => h.name === name)!)) as Effect.Effect<
    SourceHealth,
    never,
    SourceRouter
  >

const requestsTo = (provider: "tencent" | "sina" | "yahoo") =>
  Effect.flatMap(ReplayServer, (replay) => Effect.map(replay.requests(provider), (r) => r.length))

const metric = (name: string, labels: string) =>
  Effect.gen(function*() {
    const { registry } = yield* MetricsRegistry
    const text = yield* Effect.promise(() => registry.metrics())
    const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(labels))
    return line === undefined ? 0 : Number(line.split(" ").at(-1))
  })

describe("failover between real adapters, faults injected by the replay server", () => {
  it.effect("primary answers 500: its breaker opens after 3 calls, every request is served by the secondary, and a probe after the reset closes it", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-11-20T08:00:00Z"))
      const replay = yield* ReplayServer
      yield* replay.setFault("tencent", { _tag: "Status", status: 500 })
      for (let i = 0; i < 10; i++) {
        const [q] = yield* quote
        assert.strictEqual(q!.symbol, ETF)
      }
      // Consumers saw no error; Tencent was asked exactly until its breaker opened.
      assert.strictEqual(yield* requestsTo("tencent"), 3)
      assert.strictEqual(yield* requestsTo("sina"), 10)
      const open = yield* healthOf("tencent")
      assert.strictEqual(open.breaker.state, "open")
      assert.strictEqual(open.calls.failure, 3)
      // An open provider goes to the end of the plan: Sina answers before it is even tried.
      assert.strictEqual(open.calls.rejected, 0)
      assert.deepStrictEqual(yield* (yield* SourceRouter).plan("quotes", "CN"), ["sina", "yahoo", "tencent"])
      assert.strictEqual(yield* metric("datasource_breaker_transitions_total", `source="tencent",from="closed",to="open"`), 1)
      assert.strictEqual(yield* metric("datasource_breaker_state", `source="tencent"`), 2)
      assert.strictEqual(yield* metric("datasource_requests_total", `source="tencent",operation="quotes",outcome="unavailable"`), 3)

      // Primary recovers; nothing is sent to it before the reset timeout …
      yield* replay.setFault("tencent", { _tag: "None" })
      yield* TestClock.adjust("29 seconds")
      yield* quote
      assert.strictEqual(yield* requestsTo("tencent"), 3)
      // … then one half-open probe goes through, succeeds, and closes the breaker.
      yield* TestClock.adjust("1 second")
      yield* quote
      assert.strictEqual(yield* requestsTo("tencent"), 4)
      assert.strictEqual(yield* requestsTo("sina"), 11)
      assert.strictEqual((yield* healthOf("tencent")).breaker.state, "closed")
      assert.strictEqual(yield* metric("datasource_breaker_transitions_total", `source="tencent",from="half_open",to="closed"`), 1)
      // Back to the primary for the next request.
      yield* quote
      assert.strictEqual(yield* requestsTo("tencent"), 5)
    }).pipe(Effect.provide(routed)))

  it.effect("primary answers 429 with Retry-After: 2: no calls to it until then, the secondary serves, the rate regrows after", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-11-20T08:00:00Z"))
      const replay = yield* ReplayServer
      yield* replay.setFault("tencent", { _tag: "Status", status: 429, headers: { "retry-after": "2" } })
      for (let i = 0; i < 5; i++) yield* quote
      assert.strictEqual(yield* requestsTo("tencent"), 1)
      assert.strictEqual(yield* requestsTo("sina"), 5)
      const throttled = yield* healthOf("tencent")
      assert.strictEqual(throttled.rate_limit.per_second, 500) // halved from 1000
      assert.strictEqual(throttled.rate_limit.paused_until, "2026-11-20T08:00:02.000Z")
      assert.strictEqual(throttled.rate_limit.throttled, 1)
      // A 429 says nothing about health: the breaker stays closed.
      assert.strictEqual(throttled.breaker.state, "closed")

      yield* replay.setFault("tencent", { _tag: "None" })
      yield* TestClock.adjust("1999 millis")
      yield* quote
      assert.strictEqual(yield* requestsTo("tencent"), 1)
      yield* TestClock.adjust("1 millis")
      for (let i = 0; i < 3; i++) yield* quote
      assert.strictEqual(yield* requestsTo("tencent"), 4)
      const recovered = yield* healthOf("tencent")
      assert.strictEqual(recovered.rate_limit.paused_until, null)
      // Additive increase: +0.5 per success.
      assert.strictEqual(recovered.rate_limit.per_second, 501.5)
    }).pipe(Effect.provide(routed)))

  it.effect("primary hangs: its 2 s timeout fires and the secondary answers within the request budget", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-11-20T08:00:00Z"))
      const replay = yield* ReplayServer
      yield* replay.setFault("tencent", { _tag: "Hang" })
      const fiber = yield* Effect.forkChild(quote)
      yield* replay.awaitRequests("tencent", 1)
      yield* TestClock.adjust("1999 millis")
      assert.isUndefined(fiber.pollUnsafe())
      assert.strictEqual(yield* requestsTo("sina"), 0)
      yield* TestClock.adjust("1 millis")
      const [q] = yield* Fiber.join(fiber)
      assert.strictEqual(q!.symbol, ETF)
      assert.strictEqual(yield* requestsTo("sina"), 1)
      assert.strictEqual(yield* metric("datasource_requests_total", `source="tencent",operation="quotes",outcome="timeout"`), 1)
    }).pipe(Effect.provide(routed)))

  it.effect("a malformed answer is a provider failure the consumer never sees", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-11-20T08:00:00Z"))
      const replay = yield* ReplayServer
      yield* replay.setFault("tencent", { _tag: "Truncated" })
      const [q] = yield* quote
      // Sina's recording (taken in the call auction) repeats the previous close.
      assert.strictEqual(q!.price, 8.375)
      assert.strictEqual(yield* requestsTo("sina"), 1)
      assert.strictEqual(yield* metric("datasource_requests_total", `source="tencent",operation="quotes",outcome="bad_response"`), 1)
      assert.strictEqual((yield* healthOf("tencent")).breaker.consecutive_failures, 1)
    }).pipe(Effect.provide(routed)))

  it.effect("a provider that cannot serve an operation or a market is never asked for it", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-11-20T08:00:00Z"))
      const source = yield* MarketDataSource
      const router = yield* SourceRouter
      // Sina and Tencent have no US quotes: Yahoo alone is planned and asked.
      assert.deepStrictEqual(yield* router.plan("quotes", "US"), ["yahoo"])
      assert.deepStrictEqual(yield* router.plan("quotes", "CN"), ["tencent", "sina", "yahoo"])
      assert.deepStrictEqual(yield* router.plan("dailyBars", "CN"), ["yahoo"])
      const quotes = yield* source.quotes([sym("AAPL.US"), ETF])
      assert.sameMembers(quotes.map((q) => q.symbol), ["AAPL.US", "510500.SH"])
      const sinaQueries = (yield* (yield* ReplayServer).requests("sina")).length
      const tencentPaths = (yield* (yield* ReplayServer).requests("tencent")).map((r) => r.path)
      assert.strictEqual(sinaQueries, 0)
      assert.deepStrictEqual(tencentPaths, ["/q=sh510500"])
      assert.deepStrictEqual(
        (yield* (yield* ReplayServer).requests("yahoo")).map((r) => r.query.symbols),
        ["AAPL"]
      )
    }).pipe(Effect.provide(routed)))
})
