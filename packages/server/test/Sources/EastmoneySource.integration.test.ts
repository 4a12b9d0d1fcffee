import { assert, describe, it, layer } from "@effect/vitest"
import { Symbol } from "@marketgate/domain/Symbol"
import { ConfigProvider, Duration, Effect, Layer, Result, Schema } from "effect"
import { TestClock } from "effect/testing"
import { parseKline } from "../../src/Sources/Eastmoney/EastmoneySchemas.ts"
import * as Eastmoney from "../../src/Sources/Eastmoney/EastmoneySource.ts"
import { MarketDataSource } from "../../src/Sources/MarketDataSource.ts"
import { replayed, ReplayServer } from "../support/ReplayServer.ts"

const sym = Schema.decodeUnknownSync(Symbol)

describe("Eastmoney kline rows", () => {
  it("reads date, open, close, high, low, lots and amount in that order", () => {
    const row = parseKline("2024-12-18,6.11,6.18,6.28,6.10,842743,542829495.00,2.96,1.64,0.10,1.03")
    assert.deepStrictEqual(Result.getOrThrow(row), {
      date: "2024-12-18", open: 6.11, close: 6.18, high: 6.28, low: 6.1, lots: 842743, amount: 542829495
    })
  })

  it("a row that does not parse says so", () => {
    for (const bad of ["2024-12-18,6.11,6.18", "2024-13-18,6.11,6.18,6.28,6.10,842743,1", "2024-12-18,6.11,,6.28,6.10,842743,1", "2024-12-18,x,6.18,6.28,6.10,842743,1"]) {
      const row = parseKline(bad)
      assert.isTrue(Result.isFailure(row), bad)
      assert.include(Result.isFailure(row) ? row.failure : "", "kline '2024-1")
    }
  })
})

layer(replayed(Eastmoney.layer))("EastmoneySource over the replay server", (it) => {
  it.effect("daily bars of 601872: as recorded, close before high in the row, volume lots × 100, no actions", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      const { bars, actions } = yield* source.dailyBars(sym("601872.SH"), "2024-12-18", "2024-12-31")
      assert.deepStrictEqual(actions, [])
      assert.deepStrictEqual(bars.map((b) => b.date), [
        "2024-12-18", "2024-12-19", "2024-12-20", "2024-12-23", "2024-12-24",
        "2024-12-25", "2024-12-26", "2024-12-27", "2024-12-30", "2024-12-31"
      ])
      assert.deepStrictEqual(bars[0], { date: "2024-12-18", open: 6.11, high: 6.28, low: 6.1, close: 6.18, volume: 84_274_300, amount: 542_829_495 })
      assert.deepStrictEqual(bars[4], { date: "2024-12-24", open: 6.04, high: 6.34, low: 6.03, close: 6.3, volume: 112_921_600, amount: 727_525_144 })
      assert.deepStrictEqual(bars[9], { date: "2024-12-31", open: 6.29, high: 6.32, low: 6.17, close: 6.18, volume: 48_379_400, amount: 313_479_921 })
      const request = (yield* replay.requests("eastmoney")).at(-1)!
      assert.strictEqual(request.path, "/api/qt/stock/kline/get")
      assert.deepInclude(request.query, { secid: "1.601872", klt: "101", fqt: "0", beg: "20241218", end: "20241231" })
      assert.strictEqual(request.query.fields2, "f51,f52,f53,f54,f55,f56,f57,f58,f59,f60,f61")
    }))

  it.effect("bars outside [from, to] in an answer are dropped", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const { bars } = yield* source.dailyBars(sym("601872.SH"), "2024-12-20", "2024-12-24")
      assert.deepStrictEqual(bars.map((b) => b.date), ["2024-12-20", "2024-12-23", "2024-12-24"])
    }))

  it.effect("quote of 600519: recorded fields mapped, missing open/volume/amount fall back, status from the clock", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      yield* TestClock.setTime(Date.parse("2025-06-03T02:00:00Z")) // Tuesday 10:00 in Shanghai
      const [quote] = yield* source.quotes([sym("600519.SH")])
      assert.deepStrictEqual(quote, {
        symbol: sym("600519.SH"),
        name: "贵州茅台",
        price: 1458.49,
        open: 1458.49,
        high: 1458.88,
        low: 1413.1,
        prev_close: 1419,
        change: 39.49,
        change_pct: 2.78, // the recorded f170
        volume: 0,
        amount: 0,
        status: "open",
        ts: "2025-06-03T02:00:00.000Z"
      })
      const request = (yield* replay.requests("eastmoney")).at(-1)!
      assert.strictEqual(request.path, "/api/qt/stock/get")
      assert.deepInclude(request.query, { secid: "1.600519", fltt: "2" })
    }))

  it.effect("quotes: one request per symbol; unknown symbols left out, all unknown is NotFound", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      const before = (yield* replay.requests("eastmoney")).length
      const quotes = yield* source.quotes([sym("000001.SZ"), sym("600519.SH"), sym("601872.SH")])
      assert.deepStrictEqual(quotes.map((q) => q.symbol), ["600519.SH"])
      const asked = (yield* replay.requests("eastmoney")).slice(before).map((r) => r.query.secid).sort()
      assert.deepStrictEqual(asked, ["0.000001", "1.600519", "1.601872"])
      assert.strictEqual((yield* Effect.flip(source.quotes([sym("000001.SZ")]))).reason, "NotFound")
      assert.deepInclude(yield* Effect.flip(source.dailyBars(sym("000001.SZ"), "2024-12-18", "2024-12-31")), {
        reason: "NotFound",
        status: 404
      })
    }))

  it.effect("malformed and truncated bodies are BadResponse", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      for (const fault of [{ _tag: "Malformed" }, { _tag: "Truncated" }] as const) {
        const bars = yield* Effect.flip(replay.withFault("eastmoney", fault, source.dailyBars(sym("601872.SH"), "2024-12-18", "2024-12-31")))
        assert.deepInclude(bars, { reason: "BadResponse", retryable: false }, fault._tag)
        const quotes = yield* Effect.flip(replay.withFault("eastmoney", fault, source.quotes([sym("600519.SH")])))
        assert.deepInclude(quotes, { reason: "BadResponse", retryable: false }, fault._tag)
      }
    }))

  it.effect("500 is Unavailable and retryable; 429 is RateLimited with its Retry-After", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      const call = source.dailyBars(sym("601872.SH"), "2024-12-18", "2024-12-31")
      assert.deepInclude(yield* Effect.flip(replay.withFault("eastmoney", { _tag: "Status", status: 500 }, call)), {
        reason: "Unavailable",
        retryable: true,
        status: 500
      })
      const limited = yield* Effect.flip(
        replay.withFault("eastmoney", { _tag: "Status", status: 429, headers: { "Retry-After": "2" } }, source.quotes([sym("600519.SH")]))
      )
      assert.deepInclude(limited, { reason: "RateLimited", retryable: false, status: 429 })
      assert.isTrue(Duration.equals(limited.retryAfter!, Duration.seconds(2)))
    }))

  it.effect("layerConfig: SOURCE_EASTMONEY_BASE_URL sends both klines and quotes to one host", () =>
    Effect.gen(function*() {
      const replay = yield* ReplayServer
      const before = (yield* replay.requests("eastmoney")).length
      const config = ConfigProvider.layer(ConfigProvider.fromUnknown({ SOURCE_EASTMONEY_BASE_URL: replay.baseUrl }))
      yield* Effect.gen(function*() {
        const source = yield* MarketDataSource
        yield* source.dailyBars(sym("601872.SH"), "2024-12-18", "2024-12-31")
        yield* source.quotes([sym("600519.SH")])
      }).pipe(Effect.provide(Eastmoney.layerConfig.pipe(Layer.provide(config))))
      const paths = (yield* replay.requests("eastmoney")).slice(before).map((r) => r.path)
      assert.deepStrictEqual(paths, ["/api/qt/stock/kline/get", "/api/qt/stock/get"])
    }))

  it.effect("CN only, no intraday bars: everything else is Unsupported without a request", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      assert.deepStrictEqual([...source.capabilities.operations].sort(), ["dailyBars", "instrument", "instruments", "moneyFlow", "quotes", "snapshot"])
      assert.deepStrictEqual([...source.capabilities.markets], ["CN"])
      const before = (yield* replay.requests("eastmoney")).length
      const errors = [
        yield* Effect.flip(source.snapshot("US")),
        yield* Effect.flip(source.instrument(sym("AAPL.US"))),
        yield* Effect.flip(source.intradayBars(sym("600519.SH"), "5m", "2024-12-18", "2024-12-18")),
        yield* Effect.flip(source.dailyBars(sym("AAPL.US"), "2024-12-18", "2024-12-31")),
        yield* Effect.flip(source.quotes([sym("600519.SH"), sym("AAPL.US")]))
      ]
      for (const error of errors) assert.deepInclude(error, { reason: "Unsupported", retryable: false, source: "eastmoney" })
      assert.strictEqual((yield* replay.requests("eastmoney")).length, before)
    }))
})
