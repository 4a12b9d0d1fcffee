import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { PrewarmConfig } from "../../src/Jobs/Prewarm.ts"

const read = (env: Record<string, string>) => PrewarmConfig.parse(ConfigProvider.fromUnknown(env))

describe("PREWARM_SYMBOLS", () => {
  it.effect("each entry is a symbol: lower case and spaces are accepted as the API accepts them", () =>
    Effect.gen(function*() {
      const options = yield* read({ PREWARM_SYMBOLS: "600519.sh, aapl.us,000001.SZ" })
      // aapl.us is a US symbol, not a CN one: the market is read from the decoded symbol.
      assert.deepStrictEqual([...options.fallback], ["600519.SH", "AAPL.US", "000001.SZ"] as ReadonlyArray<string>)
      assert.strictEqual(options.count, 100)
    }))

  it.effect("a bad entry stops start-up with a sentence naming the variable and the entry", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(read({ PREWARM_SYMBOLS: "600519.SH,moutai" }))
      assert.include(error.message, "PREWARM_SYMBOLS")
      assert.include(error.message, "'MOUTAI' is not a symbol")
    }))
})
