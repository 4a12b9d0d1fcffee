import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Path from "node:path"
import * as Database from "../../src/Store/Database.ts"
import { getJson, getText, testApp } from "../support/TestApp.ts"
import { tempDir } from "../support/TestDatabase.ts"

const url = "/v1/bars/600519.SH?interval=1d&from=2024-01-01&to=2024-12-31"

/** datasource_requests_total for one operation, summed over outcomes (0 when never called). */
const providerCalls = (metrics: string, operation: string) =>
  metrics.split("\n")
    .filter((line) => line.startsWith("datasource_requests_total{") && line.includes(`operation="${operation}"`))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0)

describe("restart with the same DATA_DIR", () => {
  it.live("serves the stored year from the store: the provider is not asked again", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir("mg-restart-")
      const app = () => testApp(Database.layerFor({ _tag: "Embedded", dataDir: Path.join(dir, "pglite") }))
      const visit = Effect.gen(function*() {
        const bars = yield* getJson(url)
        const metrics = yield* getText("/metrics")
        return { bars: bars.body, calls: providerCalls(metrics.text, "dailyBars") }
      })

      const first = yield* visit.pipe(Effect.provide(app()))
      assert.strictEqual(first.calls, 1)
      assert.strictEqual(first.bars.data.bars.length, 242)

      // A new process in all but name: new server, cache and metrics; same directory.
      const second = yield* visit.pipe(Effect.provide(app()))
      assert.strictEqual(second.calls, 0)
      assert.isFalse(second.bars.performance.cache_hit)
      assert.deepStrictEqual(second.bars.data, first.bars.data)
    }), { timeout: 60_000 })
})
