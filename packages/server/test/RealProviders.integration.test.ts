import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as Path from "node:path"
import { freePort } from "./support/RedisTest.ts"
import { ReplayServer } from "./support/ReplayServer.ts"
import { awaitReady, getJson, spawnService } from "./support/ServiceProcess.ts"
import { tempDir } from "./support/TestDatabase.ts"

const get = getJson

// The service as its own process with real provider adapters, pointed at the
// replay server of recorded answers (SOURCE_<NAME>_BASE_URL).
layer(ReplayServer.layer, { excludeTestServices: true })("real providers, recorded answers", (it) => {
  it.effect("SOURCES=yahoo,eastmoney: ready; a real symbol outside the demo world answers its recorded bars; a made-up one is a 404 twice for one provider call; the overview is the recorded snapshot's", () =>
    Effect.gen(function*() {
      const replay = yield* ReplayServer
      const dir = yield* tempDir("mg-real-")
      const port = yield* freePort
      const service = yield* spawnService({
        PORT: String(port),
        HOST: "127.0.0.1",
        DATA_DIR: Path.join(dir, "data"),
        SOURCES: "yahoo,eastmoney",
        SOURCE_YAHOO_BASE_URL: replay.baseUrl,
        SOURCE_EASTMONEY_BASE_URL: replay.baseUrl,
        PREWARM_COUNT: "0"
      })
      yield* awaitReady(port)

      // EPAC (Enerpac) is no simulated listing: confirmed at Yahoo, then its recorded bar.
      const bars = yield* get(port, "/v1/bars/EPAC.US?from=2020-01-02&to=2020-01-02")
      assert.strictEqual(bars.status, 200, JSON.stringify(bars.body))
      assert.deepStrictEqual(bars.body.data.bars.map((b: { date: string; close: number }) => [b.date, Math.round(b.close * 100) / 100]), [["2020-01-02", 26.16]])
      const epac = yield* get(port, "/v1/instruments/EPAC.US")
      assert.deepInclude(epac.body.data, { name: "Enerpac Tool Group Corp.", board: "nyse", kind: "stock" })

      const before = (yield* replay.requests("yahoo")).filter((r) => r.query.symbols === "ZZZZQ").length
      for (let i = 0; i < 2; i++) {
        const made = yield* get(port, "/v1/bars/ZZZZQ.US")
        assert.strictEqual(made.status, 404)
        assert.match(made.body.msg, /unknown symbol 'ZZZZQ\.US'/)
      }
      assert.strictEqual((yield* replay.requests("yahoo")).filter((r) => r.query.symbols === "ZZZZQ").length - before, 1)

      // The recorded clist page: 20 SH gainers of 2024-08-08 (page 1 of 2,384), figures checked by hand in the fixtures README.
      const overview = yield* get(port, "/v1/market/overview?market=CN")
      assert.strictEqual(overview.status, 200, JSON.stringify(overview.body))
      const o = overview.body.data
      assert.deepStrictEqual(o.snapshot, { source: "eastmoney", instruments: 20, expected: 2384 })
      assert.deepStrictEqual(o.breadth, { advancers: 20, decliners: 0, unchanged: 0, suspended: 0, limit_up: 18, limit_down: 0, total: 20 })
      assert.strictEqual(o.turnover, 7_223_187_086)
      assert.strictEqual(o.top_gainers[0].symbol, "600107.SH")
      assert.strictEqual(o.most_active[0].symbol, "601933.SH")
      assert.strictEqual(o.top_gainers.length, 10)
      service.child.kill("SIGTERM")
      assert.strictEqual(yield* service.exited, 0)
    }), { timeout: 120_000 })
})

describe("the worlds at start-up", () => {
  layer(ReplayServer.layer, { excludeTestServices: true })("refusals", (it) => {
    it.effect("SOURCES=yahoo,simulated stops with a sentence naming SOURCES", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir("mg-real-")
        const service = yield* spawnService({ SOURCES: "yahoo,simulated", DATA_DIR: Path.join(dir, "data"), PORT: "0" })
        assert.notStrictEqual(yield* service.exited, 0)
        assert.isTrue(
          service.lines.some((l) => l.includes("SOURCES") && l.includes("never stands in for real providers")),
          service.lines.join("\n")
        )
      }), { timeout: 90_000 })

    it.effect("a demo store refuses real providers, and says what to do", () =>
      Effect.gen(function*() {
        const replay = yield* ReplayServer
        const dir = yield* tempDir("mg-real-")
        const data = Path.join(dir, "data")
        const port = yield* freePort
        const demo = yield* spawnService({ DATA_DIR: data, PORT: String(port), HOST: "127.0.0.1", PREWARM_COUNT: "0" })
        yield* awaitReady(port)
        demo.child.kill("SIGTERM")
        assert.strictEqual(yield* demo.exited, 0)
        const real = yield* spawnService({ DATA_DIR: data, PORT: "0", SOURCES: "yahoo", SOURCE_YAHOO_BASE_URL: replay.baseUrl })
        assert.notStrictEqual(yield* real.exited, 0)
        assert.isTrue(
          real.lines.some((l) => l.includes("this store holds the simulated demo world") && l.includes("DATA_DIR")),
          real.lines.join("\n")
        )
      }), { timeout: 120_000 })
  })
})
