import { assert, describe, layer } from "@effect/vitest"
import { Duration, Effect, Ref } from "effect"
import { tierDefaults } from "../../src/Sources/Resilience/SourceSettings.ts"
import * as Sources from "../../src/Sources/SourcesLayer.ts"
import { FakeSource } from "../support/FakeSource.ts"
import { freshPglite } from "../support/TestDatabase.ts"
import { getJson, postJson, testApp } from "../support/TestApp.ts"

// The provider has nothing for 600519.SH (a listed symbol it does not cover):
// that is a "not found" for that symbol alone, never an outage of the others.
const down = Ref.makeUnsafe(false)
const source = Sources.layerFor([{
  layer: FakeSource.layer({ unknown: (symbol) => symbol === "600519.SH", failing: down }),
  settings: { ...tierDefaults.paid, name: "fake", priority: 0, tier: "paid", retries: 0 }
}], { budget: Duration.seconds(4) })

describe("answers that are partly found", () => {
  layer(testApp(freshPglite(), source), { timeout: "60 seconds", excludeTestServices: true })("HTTP", (it) => {
    it.effect("quotes: the found ones are answered, the missing one is listed with its reason", () =>
      Effect.gen(function*() {
        const answer = yield* getJson("/v1/quotes?symbols=AAPL.US,600519.SH")
        assert.strictEqual(answer.status, 200)
        assert.deepStrictEqual(answer.body.data.quotes.map((q: { symbol: string }) => q.symbol), ["AAPL.US"])
        assert.strictEqual(answer.body.data.missing.length, 1)
        assert.strictEqual(answer.body.data.missing[0].symbol, "600519.SH")
        assert.strictEqual(answer.body.data.missing[0].reason, "not_found")
        assert.match(answer.body.data.missing[0].msg, /no provider has a quote for 600519\.SH/)
      }))

    it.effect("quotes: none found is a 404 that says retrying will not help, not a 503", () =>
      Effect.gen(function*() {
        const answer = yield* getJson("/v1/quotes?symbols=600519.SH")
        assert.strictEqual(answer.status, 404)
        assert.match(answer.body.msg, /no provider has a quote for 600519\.SH/)
        assert.notMatch(answer.body.msg, /try again/)
      }))

    it.effect("quotes: a 503 only when the providers failed", () =>
      Effect.gen(function*() {
        yield* Ref.set(down, true)
        const answer = yield* getJson("/v1/quotes?symbols=300750.SZ").pipe(Effect.ensuring(Ref.set(down, false)))
        assert.strictEqual(answer.status, 503)
        assert.match(answer.body.msg, /try again/)
      }))

    it.effect("bars batch: a symbol with no data is a 404 entry with the single GET's message", () =>
      Effect.gen(function*() {
        const single = yield* getJson("/v1/bars/600519.SH?from=2024-01-02&to=2024-01-31")
        assert.strictEqual(single.status, 404)
        const batch = yield* postJson("/v1/bars/batch", { symbols: ["600519.SH", "AAPL.US"], from: "2024-01-02", to: "2024-01-31" })
        assert.strictEqual(batch.status, 200)
        const [moutai, apple] = batch.body.data.results
        assert.deepStrictEqual(moutai, { symbol: "600519.SH", ok: false, error: { code: 404, msg: single.body.msg } })
        assert.isTrue(apple.ok)
      }))
  })
})
