import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it, layer } from "@effect/vitest"
import { Symbol } from "@marketgate/domain/Symbol"
import { readFileSync } from "node:fs"
import { ConfigProvider, Duration, Effect, Exit, Fiber, Layer, Logger, Schema } from "effect"
import { TestClock } from "effect/testing"
import { jsonLine } from "../../src/Observability/Logging.ts"
import { type CorporateAction, MarketDataSource, type SourceDailyBar } from "../../src/Sources/MarketDataSource.ts"
import * as Yahoo from "../../src/Sources/Yahoo/YahooSource.ts"
import { corporateActions, splitEvents } from "../../src/Sources/Yahoo/YahooChart.ts"
import type { ChartResult } from "../../src/Sources/Yahoo/YahooSchemas.ts"
import { fromYahoo, toYahoo } from "../../src/Sources/Yahoo/YahooSymbols.ts"
import { replayed, ReplayServer } from "../support/ReplayServer.ts"

const sym = Schema.decodeUnknownSync(Symbol)

/** The recorded chart answer, read from this project's fixture copy. */
const recordedChart = (file: string) => {
  const result = JSON.parse(readFileSync(new URL(`../fixtures/yahoo/${file}`, import.meta.url), "utf8")).response.bodyJson.chart
    .result[0]
  const q = result.indicators.quote[0]
  return { ts: result.timestamp as Array<number>, close: q.close as Array<number>, volume: q.volume as Array<number>, adjclose: result.indicators.adjclose[0].adjclose as Array<number> }
}

const closeTo = (actual: number, expected: number, relative: number, what: string) =>
  assert.isAtMost(Math.abs(actual / expected - 1), relative, `${what}: ${actual} vs ${expected}`)

/** Cumulative adjustment factor at each bar: product of the ratios of actions with ex-date ≤ the bar's date. */
const factors = (bars: ReadonlyArray<SourceDailyBar>, actions: ReadonlyArray<CorporateAction>) => {
  let f = 1
  return bars.map((bar, i) => {
    for (const a of actions) {
      if (a.exDate !== bar.date) continue
      if (a.kind === "split") f *= a.numerator / a.denominator
      else {
        const prev = bars[i - 1]!.close
        f *= prev / (prev - a.amount)
      }
    }
    return f
  })
}

const captureWarnings = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const lines: Array<Record<string, unknown>> = []
    const exit = yield* Effect.exit(
      effect.pipe(Effect.provide(Logger.layer([Logger.map(jsonLine, (l) => void lines.push(JSON.parse(l)))])))
    )
    return { exit, lines }
  })

describe("YahooSource symbols", () => {
  it("maps listings to Yahoo tickers and back", () => {
    const pairs = [["AAPL.US", "AAPL"], ["BRK-B.US", "BRK-B"], ["600519.SH", "600519.SS"], ["000001.SZ", "000001.SZ"], ["^GSPC.US", "^GSPC"], ["000001.SH", "000001.SS"]]
    for (const [ours, theirs] of pairs) {
      assert.strictEqual(toYahoo(sym(ours)), theirs)
      assert.strictEqual(fromYahoo(theirs!), ours)
    }
    // Currencies and crypto pairs are not listings this service serves.
    assert.isUndefined(fromYahoo("EURUSD=X"))
    assert.isUndefined(fromYahoo("BTC-USD"))
  })
})

describe("YahooSource corporate actions", () => {
  it("a dividend before a split is restated per share held at its ex-date", () => {
    // Instants are 09:30 New York on the ex-dates; amounts as Yahoo states them after a 4:1 split.
    const result: ChartResult = {
      meta: { symbol: "X" },
      events: {
        splits: { a: { date: Date.parse("2021-07-20T13:30:00Z") / 1000, numerator: 4, denominator: 1 } },
        dividends: {
          b: { date: Date.parse("2021-06-09T13:30:00Z") / 1000, amount: 0.04 },
          c: { date: Date.parse("2021-08-31T13:30:00Z") / 1000, amount: 0.04 }
        }
      },
      indicators: { quote: [] }
    }
    const zone = "America/New_York"
    assert.deepStrictEqual(corporateActions(result, zone, splitEvents(result, zone), "2021-06-01", "2021-12-31"), [
      { kind: "dividend", exDate: "2021-06-09", amount: 0.16 },
      { kind: "split", exDate: "2021-07-20", numerator: 4, denominator: 1 },
      { kind: "dividend", exDate: "2021-08-31", amount: 0.04 }
    ])
    assert.deepStrictEqual(corporateActions(result, zone, splitEvents(result, zone), "2021-07-21", "2021-12-31").length, 1)
  })
})

layer(replayed(Yahoo.layer))("YahooSource over the replay server", (it) => {
  it.effect("daily bars: AAPL 2020-01-02 as recorded, dated in New York, amount estimated", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      yield* TestClock.setTime(Date.parse("2025-02-20T12:00:00Z"))
      const { bars, actions } = yield* source.dailyBars(sym("AAPL.US"), "2020-01-01", "2020-01-03")
      assert.deepStrictEqual(actions, [])
      assert.strictEqual(bars.length, 1)
      const bar = bars[0]!
      assert.strictEqual(bar.date, "2020-01-02")
      assert.strictEqual(bar.open, 74.05999755859375)
      assert.strictEqual(bar.high, 75.1500015258789)
      assert.strictEqual(bar.low, 73.79750061035156)
      assert.strictEqual(bar.close, 75.0875015258789)
      assert.strictEqual(bar.volume, 135480400)
      assert.strictEqual(bar.amount, Math.round(135480400 * (bar.open + bar.high + bar.low + bar.close) / 4 * 100) / 100)
      const request = (yield* replay.requests("yahoo")).at(-1)!
      assert.strictEqual(request.path, "/v8/finance/chart/AAPL")
      assert.strictEqual(request.query.interval, "1d")
      assert.strictEqual(request.query.events, "div|split")
      assert.strictEqual(request.query.period1, "1577854800") // 2020-01-01 00:00 in New York
      assert.strictEqual(request.query.period2, String(Date.parse("2025-02-20T12:00:00Z") / 1000)) // now
    }))

  it.effect("NVDA 4:1 split: as-traded prices, the split action, and qfq/hfq rebuilt from them", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const recorded = recordedChart("historical-via-chart-NVDA-split-2021-02-01-to-2022-01-31.csv.json")
      const { bars, actions } = yield* source.dailyBars(sym("NVDA.US"), "2021-02-01", "2022-01-31")
      assert.deepStrictEqual(actions, [{ kind: "split", exDate: "2021-07-20", numerator: 4, denominator: 1 }])
      assert.strictEqual(bars.length, 252)
      assert.strictEqual(bars[0]!.date, "2021-02-01")
      assert.strictEqual(bars.at(-1)!.date, "2022-01-28")
      const split = bars.findIndex((b) => b.date === "2021-07-20")
      assert.strictEqual(bars[split - 1]!.date, "2021-07-19")
      assert.strictEqual(bars[split - 1]!.close, 18.77975082397461 * 4)
      assert.strictEqual(bars[split - 1]!.volume, 749060000 / 4)
      assert.strictEqual(bars[split]!.close, 18.61199951171875)
      bars.forEach((bar, i) => assert.strictEqual(bar.close, recorded.close[i]! * (i < split ? 4 : 1), bar.date))
      const f = factors(bars, actions)
      const last = f.at(-1)!
      bars.forEach((bar, i) => {
        closeTo(bar.close * f[i]! / last, recorded.close[i]!, 1e-6, `qfq ${bar.date}`)
        closeTo(bar.close * f[i]!, 4 * recorded.close[i]!, 1e-6, `hfq ${bar.date}`)
      })
    }))

  it.effect("MSFT dividends: the recorded amounts and ex-dates; qfq matches adjclose up to later dividends", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const recorded = recordedChart("historical-via-chart-MSFT-dividends-2021-02-01-to-2022-01-31.csv.json")
      const { bars, actions } = yield* source.dailyBars(sym("MSFT.US"), "2021-02-01", "2022-01-31")
      assert.deepStrictEqual(actions, [
        { kind: "dividend", exDate: "2021-02-17", amount: 0.56 },
        { kind: "dividend", exDate: "2021-05-19", amount: 0.56 },
        { kind: "dividend", exDate: "2021-08-18", amount: 0.56 },
        { kind: "dividend", exDate: "2021-11-17", amount: 0.62 }
      ])
      bars.forEach((bar, i) => assert.strictEqual(bar.close, recorded.close[i]!))
      const f = factors(bars, actions)
      const last = f.at(-1)!
      // Yahoo's adjclose is relative to the day it was recorded (2025-02-22): the
      // dividends after 2022-01-31 scale the whole series by one more constant.
      const later = recorded.adjclose.at(-1)! / recorded.close.at(-1)!
      closeTo(later, 1 / 1.028, 1e-3, "later dividends")
      bars.forEach((bar, i) => closeTo(bar.close * f[i]! / last * later, recorded.adjclose[i]!, 1e-4, `qfq ${bar.date}`))
    }))

  it.effect("AAPL 2020-08-31: a split on the first day needs no un-adjusting; the dividend is per post-split share", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const { bars, actions } = yield* source.dailyBars(sym("AAPL.US"), "2020-08-31", "2020-11-07")
      assert.deepStrictEqual(actions, [
        { kind: "split", exDate: "2020-08-31", numerator: 4, denominator: 1 },
        { kind: "dividend", exDate: "2020-11-06", amount: 0.205 }
      ])
      assert.strictEqual(bars.length, 49)
      assert.deepInclude(bars[0]!, { date: "2020-08-31", open: 127.58000183105469, close: 129.0399932861328, volume: 225702700 })
    }))

  it.effect("1-minute bars: the recorded range is a weekend, so there are none", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      const bars = yield* source.intradayBars(sym("AAPL.US"), "1m", "2025-02-01", "2025-02-02")
      assert.deepStrictEqual(bars, [])
      const request = (yield* replay.requests("yahoo")).at(-1)!
      assert.strictEqual(request.query.interval, "1m")
      assert.strictEqual(request.query.includePrePost, "false")
      assert.strictEqual(request.query.period1, String(Date.parse("2025-02-01T05:00:00Z") / 1000))
      assert.strictEqual(request.query.period2, String(Date.parse("2025-02-03T05:00:00Z") / 1000))
    }))

  it.effect("quotes: one request for all symbols, fields mapped, unknown and NONE entries left out", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      const before = (yield* replay.requests("yahoo")).length
      const quotes = yield* source.quotes([sym("AAPL.US"), sym("SIX.US"), sym("AMZN.US"), sym("BRKS.US"), sym("GOOG.US")])
      const after = yield* replay.requests("yahoo")
      assert.strictEqual(after.length, before + 1)
      assert.strictEqual(after.at(-1)!.query.symbols, "AAPL,SIX,AMZN,BRKS,GOOG")
      assert.deepStrictEqual(quotes.map((q) => q.symbol), ["AAPL.US", "AMZN.US", "GOOG.US"])
      assert.deepStrictEqual(quotes[0], {
        symbol: sym("AAPL.US"),
        name: "Apple Inc.",
        price: 244.6,
        open: 241.07,
        high: 245.41,
        low: 241,
        prev_close: 241.53,
        change: 3.0700073,
        change_pct: 1.2710667,
        volume: 40896227,
        amount: Math.round(40896227 * 244.6 * 100) / 100,
        status: "closed",
        ts: "2025-02-14T21:00:00.000Z"
      })
      assert.strictEqual(quotes[1]!.name, "Amazon.com, Inc.")
    }))

  it.effect("unknown symbols: NotFound, and A-share symbols are asked for as .SS/.SZ", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      const quoteError = yield* Effect.flip(source.quotes([sym("SIX.US")]))
      assert.strictEqual(quoteError.reason, "NotFound")
      const chartError = yield* Effect.flip(source.dailyBars(sym("600519.SH"), "2024-01-02", "2024-01-05"))
      assert.deepInclude(chartError, { reason: "NotFound", status: 404, retryable: false, source: "yahoo" })
      assert.strictEqual((yield* replay.requests("yahoo")).at(-1)!.path, "/v8/finance/chart/600519.SS")
      yield* Effect.flip(source.quotes([sym("600519.SH"), sym("000001.SZ")]))
      assert.strictEqual((yield* replay.requests("yahoo")).at(-1)!.query.symbols, "600519.SS,000001.SZ")
    }))

  it.effect("a quote entry missing required fields (recorded with fields=beta) is a BadResponse naming it", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const error = yield* Effect.flip(source.quotes([sym("MSFT.US")]))
      assert.deepInclude(error, { reason: "BadResponse", retryable: false })
      assert.include(error.message, "the quote of MSFT is incomplete")
      assert.include(error.message, "regularMarketOpen")
    }))

  it.effect("a malformed body is a BadResponse, logged once with source, operation and symbol", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      const { exit, lines } = yield* captureWarnings(
        replay.withFault("yahoo", { _tag: "Malformed" }, source.dailyBars(sym("AAPL.US"), "2020-01-01", "2020-01-03"))
      )
      assert.isTrue(Exit.isFailure(exit))
      const error = yield* Effect.flip(exit)
      assert.deepInclude(error, { reason: "BadResponse", retryable: false, operation: "dailyBars" })
      assert.include(error.message, "not valid JSON")
      assert.strictEqual(lines.length, 1)
      assert.deepInclude(lines[0]!, { level: "warn", source: "yahoo", operation: "dailyBars", symbol: "AAPL.US" })
    }))

  it.effect("a truncated body is a BadResponse", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      const chart = yield* Effect.flip(
        replay.withFault("yahoo", { _tag: "Truncated" }, source.dailyBars(sym("NVDA.US"), "2021-02-01", "2022-01-31"))
      )
      assert.strictEqual(chart.reason, "BadResponse")
      const quotes = yield* Effect.flip(replay.withFault("yahoo", { _tag: "Truncated" }, source.quotes([sym("AAPL.US")])))
      assert.strictEqual(quotes.reason, "BadResponse")
    }))

  it.effect("HTTP statuses: 500 Unavailable (retryable), 429 RateLimited with Retry-After, 404 NotFound, 403 BadResponse", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      const call = source.quotes([sym("AAPL.US")])
      const fault = (status: number, headers?: Record<string, string>) =>
        Effect.flip(replay.withFault("yahoo", { _tag: "Status", status, ...(headers ? { headers } : {}) }, call))

      assert.deepInclude(yield* fault(500), { reason: "Unavailable", retryable: true, status: 500 })
      assert.deepInclude(yield* fault(503), { reason: "Unavailable", retryable: true, status: 503 })
      const limited = yield* fault(429, { "Retry-After": "2" })
      assert.deepInclude(limited, { reason: "RateLimited", retryable: false, status: 429 })
      assert.isTrue(Duration.equals(limited.retryAfter!, Duration.seconds(2)))
      yield* TestClock.setTime(Date.parse("2025-03-01T10:00:00Z"))
      const dated = yield* fault(429, { "Retry-After": "Sat, 01 Mar 2025 10:00:30 GMT" })
      assert.isTrue(Duration.equals(dated.retryAfter!, Duration.seconds(30)))
      assert.isUndefined((yield* fault(429)).retryAfter)
      assert.deepInclude(yield* fault(404), { reason: "NotFound", retryable: false, status: 404 })
      assert.deepInclude(yield* fault(403), { reason: "BadResponse", retryable: false, status: 403 })
    }))

  it.effect("capabilities are declared; instruments is Unsupported without any request", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      assert.strictEqual(source.name, "yahoo")
      assert.deepStrictEqual([...source.capabilities.operations].sort(), ["dailyBars", "instrument", "intradayBars", "quotes"])
      assert.deepStrictEqual([...source.capabilities.markets].sort(), ["CN", "US"])
      const before = (yield* replay.requests("yahoo")).length
      const error = yield* Effect.flip(source.instruments)
      assert.deepInclude(error, { reason: "Unsupported", retryable: false, operation: "instruments" })
      assert.strictEqual((yield* replay.requests("yahoo")).length, before)
    }))

  it.effect("layerConfig takes its base URL from SOURCE_YAHOO_BASE_URL", () =>
    Effect.gen(function*() {
      const replay = yield* ReplayServer
      const before = (yield* replay.requests("yahoo")).length
      const config = ConfigProvider.layer(ConfigProvider.fromUnknown({ SOURCE_YAHOO_BASE_URL: replay.baseUrl }))
      const quotes = yield* Effect.flatMap(MarketDataSource, (s) => s.quotes([sym("AAPL.US")])).pipe(
        Effect.provide(Yahoo.layerConfig.pipe(Layer.provide(config)))
      )
      assert.strictEqual(quotes[0]!.price, 244.6)
      assert.strictEqual((yield* replay.requests("yahoo")).length, before + 1)
    }))

  it.effect("a hanging provider leaves the call pending until it is interrupted", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      yield* replay.setFault("yahoo", { _tag: "Hang" })
      const before = (yield* replay.requests("yahoo")).length
      const fiber = yield* Effect.forkChild(source.quotes([sym("AAPL.US")]))
      yield* replay.awaitRequests("yahoo", before + 1)
      assert.isUndefined(fiber.pollUnsafe())
      yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.hasInterrupts(yield* Fiber.await(fiber)))
      yield* replay.setFault("yahoo", { _tag: "None" })
    }))
})

describe("YahooSource transport", () => {
  it.effect("a refused connection is Unavailable and retryable", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const error = yield* Effect.flip(source.quotes([sym("AAPL.US")]))
      assert.deepInclude(error, { reason: "Unavailable", retryable: true })
      assert.isUndefined(error.status)
    }).pipe(Effect.provide(Yahoo.layer({ baseUrl: "http://127.0.0.1:1" }).pipe(Layer.provide(NodeHttpClient.layerUndici)))))
})
