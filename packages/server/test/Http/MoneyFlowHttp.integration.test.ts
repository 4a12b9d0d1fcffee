import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as Path from "node:path"
import { freePort } from "../support/RedisTest.ts"
import { ReplayServer } from "../support/ReplayServer.ts"
import { awaitReady, getJson, spawnService } from "../support/ServiceProcess.ts"
import { tempDir } from "../support/TestDatabase.ts"

const get = getJson

// GET /v1/market/moneyflow from the service as its own process: in the real
// world over the replay server's recorded ranking, and in the demo world.
layer(ReplayServer.layer, { excludeTestServices: true })("GET /v1/market/moneyflow", (it) => {
  it.effect("SOURCES=eastmoney: the recorded ranking's top entries, one upstream page for two requests (cached); US and a bad limit are 400s with a sentence", () =>
    Effect.gen(function*() {
      const replay = yield* ReplayServer
      const dir = yield* tempDir("mg-moneyflow-")
      const port = yield* freePort
      const service = yield* spawnService({
        PORT: String(port),
        HOST: "127.0.0.1",
        DATA_DIR: Path.join(dir, "data"),
        SOURCES: "eastmoney",
        SOURCE_EASTMONEY_BASE_URL: replay.baseUrl,
        PREWARM_COUNT: "0"
      })
      yield* awaitReady(port)

      const first = yield* get(port, "/v1/market/moneyflow?market=CN&limit=3")
      assert.strictEqual(first.status, 200, JSON.stringify(first.body))
      const r = first.body.data
      assert.strictEqual(r.market, "CN")
      assert.strictEqual(r.source, "eastmoney")
      assert.strictEqual(r.ranked, 5112)
      // Figures of the recording, checked by hand (fixtures README).
      assert.deepStrictEqual(
        r.entries.map((e: any) => [e.symbol, e.name, e.main_net, e.super_large_net, e.large_net, e.main_net_pct]),
        [
          ["000858.SZ", "五粮液", 188_792_729, 157_814_729, 30_978_000, 7.38],
          ["601162.SH", "天风证券", 174_633_024, 185_322_960, -10_689_936, 11.37],
          ["600519.SH", "贵州茅台", 169_955_440, 236_766_672, -66_811_232, 4.73]
        ]
      )
      const all = yield* get(port, "/v1/market/moneyflow?market=CN&limit=50")
      assert.strictEqual(all.body.data.entries.length, 50)
      assert.strictEqual(all.body.performance.cache_hit, true)
      const defaulted = yield* get(port, "/v1/market/moneyflow?market=CN")
      assert.strictEqual(defaulted.body.data.entries.length, 20)
      const pages = (yield* replay.requests("eastmoney")).filter((q) => q.path === "/api/qt/clist/get" && q.query.fid === "f62")
      assert.strictEqual(pages.length, 1)

      const us = yield* get(port, "/v1/market/moneyflow?market=US")
      assert.strictEqual(us.status, 400)
      assert.match(us.body.msg, /A-shares only: ask with market=CN/)
      const tooMany = yield* get(port, "/v1/market/moneyflow?market=CN&limit=51")
      assert.strictEqual(tooMany.status, 400)
      assert.match(tooMany.body.msg, /limit must be a whole number from 1 to 50/)

      // The web app learns availability from the providers' operations (docs/web.md).
      const sources = yield* get(port, "/v1/sources")
      assert.isTrue(sources.body.data.sources.some((s: any) => s.operations.includes("moneyFlow")), JSON.stringify(sources.body))
      service.child.kill("SIGTERM")
      assert.strictEqual(yield* service.exited, 0)
    }), { timeout: 120_000 })

  it.effect("the demo world refuses with 404 and a sentence, and its providers do not list moneyFlow", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir("mg-moneyflow-")
      const port = yield* freePort
      const service = yield* spawnService({ PORT: String(port), HOST: "127.0.0.1", DATA_DIR: Path.join(dir, "data"), PREWARM_COUNT: "0" })
      yield* awaitReady(port)
      const refused = yield* get(port, "/v1/market/moneyflow?market=CN")
      assert.strictEqual(refused.status, 404)
      assert.strictEqual(refused.body.data, null)
      assert.match(refused.body.msg, /money flow needs a real provider \(eastmoney\): the demo world/)
      const sources = yield* get(port, "/v1/sources")
      assert.isFalse(sources.body.data.sources.some((s: any) => s.operations.includes("moneyFlow")))
      service.child.kill("SIGTERM")
      assert.strictEqual(yield* service.exited, 0)
    }), { timeout: 120_000 })
})
