import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted, Ref } from "effect"
import * as Database from "../../src/Store/Database.ts"
import { tierDefaults } from "../../src/Sources/Resilience/SourceSettings.ts"
import * as Sources from "../../src/Sources/SourcesLayer.ts"
import { FakeSource } from "../support/FakeSource.ts"
import { waitUntil } from "../support/RedisTest.ts"
import { getJson, type JsonAnswer, testApp } from "../support/TestApp.ts"
import { scratchDatabase } from "../support/TestDatabase.ts"

// Chaos matrix, providers: the only provider goes down mid-traffic and comes
// back. What was answered before (stored) keeps answering 200; what nobody
// has is a 503 that says what to do, never a 500; once the provider is back,
// the same requests answer 200 without a restart.

const stored = (symbol: string) => `/v1/bars/${symbol}?interval=1d&from=2024-01-02&to=2024-03-29`
const fresh = (symbol: string, n: number) => `/v1/bars/${symbol}?interval=1d&from=2022-0${1 + n}-03&to=2022-0${1 + n}-25`

const refusal = (answer: JsonAnswer) =>
  answer.status === 503 && answer.body.code === 503 && typeof answer.body.msg === "string" && answer.body.msg.length > 20

describe("chaos: provider outage", () => {
  it.live("the provider down mid-traffic: stored ranges 200, the rest 503 with a sentence, all 200 again once it is back", () =>
    Effect.scoped(Effect.gen(function*() {
      const down = Ref.makeUnsafe(false)
      const source = Sources.layerFor([{
        layer: FakeSource.layer({ failing: down }),
        // The breaker stays open 1 s (doubling) rather than the tier's default, so recovery comes soon.
        settings: {
          ...tierDefaults.paid,
          name: "fake",
          priority: 0,
          tier: "paid",
          retries: 0,
          breaker: { ...tierDefaults.paid.breaker, openMs: 1_000, maxOpenMs: 4_000 }
        }
      }], { budget: Duration.seconds(4) })
      const url = yield* scratchDatabase("chaos_provider")
      const app = yield* Layer.build(testApp(Database.layerFor({ _tag: "Server", url: Redacted.make(url), maxConnections: 4 }), source))
      yield* run(down).pipe(Effect.provide(app))
    })), 120_000)
})

const run = (down: Ref.Ref<boolean>) =>
  Effect.gen(function*() {
    const symbols = ["600519.SH", "300750.SZ", "AAPL.US"]
    for (const s of symbols) assert.strictEqual((yield* getJson(stored(s))).status, 200)

    // Down, with requests in flight.
    const problems: Array<string> = []
    const refused: Array<string> = []
    yield* Effect.forEach(
      Array.from({ length: 30 }, (_, i) => i),
      (i) =>
        Effect.gen(function*() {
          if (i === 3) yield* Ref.set(down, true)
          const symbol = symbols[i % 3]!
          const old = yield* getJson(stored(symbol))
          if (old.status !== 200) problems.push(`${stored(symbol)} → ${old.status} ${JSON.stringify(old.body).slice(0, 200)}`)
          if (i >= 6) {
            const path = fresh(symbol, i % 6)
            const answer = yield* getJson(path)
            if (refusal(answer)) refused.push(answer.body.msg)
            else if (answer.status !== 200) problems.push(`${path} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`)
          }
        }),
      { concurrency: 3 }
    )
    assert.deepStrictEqual(problems, [], "stored ranges answer 200; nothing answers other than 200 or a 503 with a sentence")
    assert.isAbove(refused.length, 0, "ranges nobody has are refused while the provider is down")

    // Back: once the breaker's probe has gone through, the same ranges answer 200, no restart.
    yield* Ref.set(down, false)
    yield* waitUntil(Effect.map(getJson(fresh(symbols[0]!, 0)), (a) => a.status === 200), {
      within: "30 seconds",
      every: "250 millis",
      message: () => "the provider's breaker did not close after the provider came back"
    })
    for (let n = 0; n < 6; n++) {
      for (const s of symbols) {
        const answer = yield* getJson(fresh(s, n))
        assert.strictEqual(answer.status, 200, `${fresh(s, n)}: ${JSON.stringify(answer.body).slice(0, 200)}`)
      }
    }
  })
