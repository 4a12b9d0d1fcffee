import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Schema } from "effect"
import { codecOf } from "../../src/Cache/CacheEntry.ts"
import { defaultPolicies } from "../../src/Cache/CachePolicy.ts"
import { MarketCache } from "../../src/Cache/MarketCache.ts"
import { RemoteCache } from "../../src/Cache/RemoteCache.ts"
import { ANSWER_MAX_AGE_MS, AnswerCache } from "../../src/Http/AnswerCache.ts"
import { MetricsRegistry } from "../../src/Observability/MetricsRegistry.ts"
import { type CacheRead, newRequestFacts, RequestFacts } from "../../src/Observability/RequestFacts.ts"

// The answer cache over the real MarketCache (no Redis) under the TestClock
// (time 0): an answer lives while its entries are the current fresh ones, and
// at most ANSWER_MAX_AGE_MS. `now` is passed in, so no time passes.

const codec = codecOf(Schema.Struct({ price: Schema.Number }))
const layer = AnswerCache.layer.pipe(
  Layer.provideMerge(
    MarketCache.layer({
      policies: { ...defaultPolicies, quote: { fresh: Duration.seconds(5), grace: Duration.seconds(30) } },
      maxEntries: 100,
      maxBytes: 1_000_000,
      namespace: "mg:unit:v1",
      lockTtl: Duration.seconds(5),
      lockWait: Duration.seconds(3),
      refreshConcurrency: 1,
      negativeTtl: Duration.seconds(30)
    })
  ),
  Layer.provideMerge(RemoteCache.layerNone),
  Layer.provideMerge(MetricsRegistry.layerTest)
)

/** A quote read through the cache, recording what it served the way a cacheable request does. */
const read = (key: string, price: number) =>
  Effect.gen(function*() {
    const cache = yield* MarketCache
    const reads: Array<CacheRead> = []
    yield* cache.getOrLoad({ kind: "quote", key, codec }, Effect.succeed({ price })).pipe(
      Effect.provideService(RequestFacts, { ...newRequestFacts("t"), reads })
    )
    return reads
  })

const data = Buffer.from(`{"price":1}`)

describe("AnswerCache", () => {
  it.effect("keeps an answer made of fresh hits and reuses it, until its entry changes", () =>
    Effect.gen(function*() {
      const answers = yield* AnswerCache
      const cache = yield* MarketCache
      const miss = yield* read("A", 1)
      assert.strictEqual(miss.length, 0, "a loaded value is not a hit: nothing to build an answer from")
      const hit = yield* read("A", 1)
      assert.strictEqual(hit.length, 1)
      const kept = answers.keep("/v1/quotes?symbols=A", data, hit, 0)
      assert.isDefined(kept)
      assert.strictEqual(kept?.head.toString(), `{"code":0,"data":{"price":1},"msg":"ok","performance":{"latency_ms":`)
      assert.match(kept?.etag ?? "", /^W\/"[A-Za-z0-9_-]+"$/)
      assert.strictEqual(answers.lookup("/v1/quotes?symbols=A", 0), kept)
      assert.strictEqual(answers.lookup("/v1/quotes?symbols=B", 0), undefined)

      // An invalidation retires it at once.
      yield* cache.invalidate("quote", "A")
      assert.strictEqual(answers.lookup("/v1/quotes?symbols=A", 0), undefined)
    }).pipe(Effect.provide(layer)))

  it.effect("reuses an answer for at most ANSWER_MAX_AGE_MS, and never past its entries' freshness", () =>
    Effect.gen(function*() {
      const answers = yield* AnswerCache
      yield* read("A", 1)
      const hit = yield* read("A", 1)
      const kept = answers.keep("/q", data, hit, 0)
      assert.strictEqual(answers.lookup("/q", ANSWER_MAX_AGE_MS - 1), kept)
      assert.strictEqual(answers.lookup("/q", ANSWER_MAX_AGE_MS), undefined)
      // An entry fresh for less than the max age bounds the answer's life.
      const fresh = hit[0]?.entry.freshUntil ?? 0
      const late = answers.keep("/q", data, hit, fresh - 10)
      assert.strictEqual(late?.until, fresh)
      assert.strictEqual(answers.keep("/q", data, hit, fresh), undefined)
    }).pipe(Effect.provide(layer)))

  it.effect("an entry replaced by a refresh retires the answers built from the old one", () =>
    Effect.gen(function*() {
      const answers = yield* AnswerCache
      const cache = yield* MarketCache
      yield* read("A", 1)
      const hit = yield* read("A", 1)
      answers.keep("/q", data, hit, 0)
      yield* cache.invalidate("quote", "A")
      yield* read("A", 2)
      // Same key, a new entry: the old answer is not made of it.
      assert.strictEqual(answers.lookup("/q", 0), undefined)
    }).pipe(Effect.provide(layer)))

  it.effect("nothing to build from, nothing kept", () =>
    Effect.gen(function*() {
      const answers = yield* AnswerCache
      assert.strictEqual(answers.keep("/q", data, [], 0), undefined)
      assert.strictEqual(answers.lookup("/q", 0), undefined)
    }).pipe(Effect.provide(layer)))
})
