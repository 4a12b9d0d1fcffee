import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Layer, Redacted, Ref, Result } from "effect"
import fc from "fast-check"
import { worldOf } from "../../src/Sources/DataWorld.ts"
import { tierDefaults } from "../../src/Sources/Resilience/SourceSettings.ts"
import * as Sources from "../../src/Sources/SourcesLayer.ts"
import * as Database from "../../src/Store/Database.ts"
import { FakeSource } from "../support/FakeSource.ts"
import { checkClient, scratchDatabase } from "../support/TestDatabase.ts"
import { getJson, postJson, testApp } from "../support/TestApp.ts"

const names = Object.keys(Sources.adapters)

describe("two worlds that never mix", () => {
  it.effect("SOURCES mixing simulated with a real provider stops with a sentence naming SOURCES; every other list has one world", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(fc.uniqueArray(fc.constantFrom(...names), { minLength: 1, maxLength: names.length }), async (list) => {
          const built = await Effect.runPromise(
            // Only the decision is built here: DataWorld fails or not before any adapter is made.
            Effect.result(Effect.scoped(Layer.build(Sources.layerWorldConfig.pipe(
              Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ SOURCES: list.join(",") })))
            ))))
          )
          const mixed = list.includes("simulated") && list.length > 1
          const world = worldOf(list)
          assert.strictEqual(Result.isFailure(world), mixed)
          if (mixed) {
            assert.isTrue(Result.isFailure(built))
            const message = Result.isFailure(built) ? String((built.failure as { message?: string }).message ?? built.failure) : ""
            assert.include(message, "SOURCES")
            assert.include(message, "never stands in for real providers")
          } else {
            assert.strictEqual(Result.getOrThrow(world), list.length === 1 && list[0] === "simulated" ? "demo" : "real")
          }
        }),
        { numRuns: 60, seed: 20261203 }
      )
    ))

  // Real time: the history asked for (2023-2024) must have closed.
  it.live("property: in real mode no stored or served bar comes from the simulated provider, whatever fails", () =>
    Effect.scoped(Effect.gen(function*() {
      const url = yield* scratchDatabase("realworld")
      const down = Ref.makeUnsafe(false)
      const source = Sources.layerFor([{
        layer: FakeSource.layer({ failing: down }),
        settings: { ...tierDefaults.paid, name: "fake", priority: 0, tier: "paid", retries: 0 }
      }], { budget: Duration.seconds(4) })
      const app = yield* Layer.build(testApp(Database.layerFor({ _tag: "Server", url: Redacted.make(url), maxConnections: 4 }), source))
      const sql = yield* checkClient(url)
      const symbols = ["600519.SH", "300750.SZ", "AAPL.US"]
      const day = fc.integer({ min: 0, max: 700 }).map((n) => new Date(Date.parse("2023-01-02") + n * 86_400_000).toISOString().slice(0, 10))
      const request = fc.record({
        symbol: fc.constantFrom(...symbols),
        a: day,
        b: day,
        providerDown: fc.boolean(),
        batch: fc.boolean()
      })
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 6 }), (requests) =>
            Effect.runPromise(Effect.gen(function*() {
              for (const r of requests) {
                yield* Ref.set(down, r.providerDown)
                const [from, to] = r.a <= r.b ? [r.a, r.b] : [r.b, r.a]
                const answer = r.batch
                  ? yield* postJson("/v1/bars/batch", { symbols: [r.symbol], from, to })
                  : yield* getJson(`/v1/bars/${r.symbol}?from=${from}&to=${to}`)
                // Real data or a clear refusal: 200, or 503 while the provider is down; never a fabricated answer.
                assert.oneOf(answer.status, [200, 503], JSON.stringify(answer.body).slice(0, 300))
              }
              yield* Ref.set(down, false)
              const sources = yield* sql<{ source: string }>`SELECT DISTINCT source FROM bars_daily`
              for (const { source: s } of sources) assert.oneOf(s, ["fake", "calendar"])
            }).pipe(Effect.provide(app)))),
          { numRuns: 25, seed: 20261203 }
        )
      )
      const [stored] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM bars_daily`
      assert.isAbove(stored?.n ?? 0, 0, "the property exercised the store")
      const lineage = yield* getJson("/v1/sources").pipe(Effect.provide(app))
      assert.deepStrictEqual(lineage.body.data.sources.map((s: { name: string }) => s.name), ["fake"])
    })), { timeout: 240_000 })
})
