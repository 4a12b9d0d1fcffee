import { assert, describe, it } from "@effect/vitest"
import { defaultCalendars, calendarOf } from "@marketgate/domain/calendar/Calendars"
import { fromDayNumber, toDayNumber } from "@marketgate/domain/CalendarDate"
import type { Symbol } from "@marketgate/domain/Symbol"
import { Duration, Effect, Layer, Ref } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { MarketCache } from "../../src/Cache/MarketCache.ts"
import { SecondOpinion } from "../../src/MarketData/SecondOpinion.ts"
import { TradingCalendars } from "../../src/Calendar/TradingCalendars.ts"
import { InstrumentCatalog } from "../../src/Instruments/InstrumentCatalog.ts"
import { DailyHistory } from "../../src/MarketData/DailyHistory.ts"
import { IngestMetrics } from "../../src/MarketData/IngestMetrics.ts"
import { IntradayHistory } from "../../src/MarketData/IntradayHistory.ts"
import { IntradayRepo } from "../../src/Store/IntradayRepo.ts"
import { MarketData } from "../../src/MarketData/MarketData.ts"
import { MetricsRegistry } from "../../src/Observability/MetricsRegistry.ts"
import { newRequestFacts, RequestFacts, servedFromCache } from "../../src/Observability/RequestFacts.ts"
import { DailyBarRepo } from "../../src/Store/DailyBarRepo.ts"
import { InstrumentRepo } from "../../src/Store/InstrumentRepo.ts"
import { QuarantineRepo } from "../../src/Store/QuarantineRepo.ts"
import { StoreError } from "../../src/Store/StoreError.ts"
import { FakeSource, type FakeSourceOptions, priceOn, type SourceCall } from "../support/FakeSource.ts"

const NOW = Date.parse("2026-11-21T12:00:00Z")
const symbols = ["600519.SH", "300750.SZ", "AAPL.US"] as Array<Symbol>

/** The read path with a fake provider, an in-memory store and a fresh cache. */
const readPath = (
  store: Layer.Layer<DailyBarRepo> = DailyBarRepo.layerMemory,
  source: FakeSourceOptions = {}
) =>
  MarketData.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(
      InstrumentCatalog.layerTest,
      IntradayHistory.layer.pipe(Layer.provideMerge(DailyHistory.layerTest))
    )),
    Layer.provideMerge(Layer.mergeAll(
      store,
      InstrumentRepo.layerMemory,
      QuarantineRepo.layerMemory,
      IntradayRepo.layerMemory,
      IngestMetrics.layer,
      FakeSource.layer(source),
      // One fake provider: nobody else to ask for a bar that failed a rule.
      SecondOpinion.layerNone,
      MarketCache.layerTest
    )),
    Layer.provideMerge(Layer.mergeAll(TradingCalendars.layer, MetricsRegistry.layerTest))
  )

const bars1d = (symbol: string, from: string, to: string) =>
  Effect.gen(function*() {
    const marketData = yield* MarketData
    return yield* marketData.bars(symbol as Symbol, { interval: "1d", from, to, adjust: "none" })
  })

const dailyCalls = Effect.gen(function*() {
  const { calls } = yield* FakeSource
  return (yield* Ref.get(calls)).filter((c) => c.operation === "dailyBars")
})

/** Facts of one "request", as the HTTP middleware would collect them. */
const withFacts = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const facts = newRequestFacts()
    const value = yield* Effect.provideService(effect, RequestFacts, facts)
    return { value, cacheHit: servedFromCache(facts) }
  })

const sessionsOf = (symbol: string, from: string, to: string) => {
  const exchange = symbol.endsWith(".US") ? "US" : "SH"
  const calendar = calendarOf(defaultCalendars, exchange)
  const last = calendar.lastCompletedSession(NOW)!
  const listed = symbol === "300750.SZ" ? toDayNumber("2018-06-11") : symbol === "600519.SH" ? toDayNumber("2001-08-27") : 0
  return calendar.sessionDays(Math.max(toDayNumber(from), listed), Math.min(toDayNumber(to), last)).map(fromDayNumber)
}

const expand = (calls: ReadonlyArray<SourceCall>, symbol: string) =>
  calls.filter((c) => c.symbol === symbol).flatMap((c) => sessionsOf(symbol, c.from, c.to))

// Every 29th day-number is a suspension, so synthesised bars are part of the property.
const suspended = (_symbol: string, date: string) => toDayNumber(date) % 29 === 0

describe("MarketData read path (fake provider, in-memory store)", () => {
  it.effect("property: bars are exactly the range's sessions, sorted, unique; the provider is asked only for what the store lacks", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const services = yield* Effect.context<MarketData | FakeSource | DailyBarRepo>()
      const day = fc.integer({ min: toDayNumber("2015-01-01"), max: toDayNumber("2026-12-31") })
      const check = (symbol: Symbol, a: number, length: number) =>
        Effect.gen(function*() {
          const from = fromDayNumber(a)
          const to = fromDayNumber(a + length)
          const repo = yield* DailyBarRepo
          const storedBefore = new Set((yield* repo.range(symbol, from, to)).map((b) => b.date))
          const callsBefore = (yield* dailyCalls).length
          const series = yield* bars1d(symbol, from, to)
          const asked = expand((yield* dailyCalls).slice(callsBefore), symbol)
          const expected = sessionsOf(symbol, from, to)
          const dates = series.bars.map((b) => b.date)
          assert.deepStrictEqual(dates, expected)
          assert.strictEqual(new Set(dates).size, dates.length)
          // Asked for exactly the sessions the store lacked, each once.
          assert.deepStrictEqual(asked, expected.filter((d) => !storedBefore.has(d)))
          for (const b of series.bars) assert.strictEqual(b.suspended, suspended(symbol, b.date))
        })
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.constantFrom(...symbols), day, fc.integer({ min: 0, max: 400 }), (symbol, a, length) =>
            Effect.runPromiseWith(services)(check(symbol, a, length))),
          { numRuns: 150, seed: 20261121 }
        )
      )
    }).pipe(Effect.provide(readPath(DailyBarRepo.layerMemory, { suspended }))))

  it.effect("a repeated request is a cache hit and asks the provider nothing", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const first = yield* withFacts(bars1d("600519.SH", "2024-01-01", "2024-12-31"))
      assert.isFalse(first.cacheHit)
      assert.strictEqual(first.value.bars.length, 242)
      const calls = (yield* dailyCalls).length
      const second = yield* withFacts(bars1d("600519.SH", "2024-01-01", "2024-12-31"))
      assert.isTrue(second.cacheHit)
      assert.deepStrictEqual(second.value, first.value)
      assert.strictEqual((yield* dailyCalls).length, calls)
    }).pipe(Effect.provide(readPath())))

  it.effect("after a restart (new cache, same store) stored sessions come from the store only", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const store = Layer.succeedContext(yield* Layer.build(DailyBarRepo.layerMemory))
      const before = yield* bars1d("AAPL.US", "2024-01-01", "2024-12-31").pipe(Effect.provide(readPath(store)))
      const { value, calls } = yield* Effect.gen(function*() {
        const value = yield* bars1d("AAPL.US", "2024-01-01", "2024-12-31")
        return { value, calls: yield* dailyCalls }
      }).pipe(Effect.provide(readPath(store)))
      assert.deepStrictEqual(value, before)
      assert.strictEqual(value.bars.length, 252)
      assert.deepStrictEqual(calls, [])
    }))

  it.effect("a store that fails degrades to the provider; the answer is still complete", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const series = yield* bars1d("600519.SH", "2024-03-01", "2024-03-31")
      assert.deepStrictEqual(series.bars.map((b) => b.date), sessionsOf("600519.SH", "2024-03-01", "2024-03-31"))
    }).pipe(Effect.provide(readPath(brokenStore))))

  it.effect("with nothing stored and the provider down, the answer is a 503-class DataUnavailable", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const failing = yield* Ref.make(false)
      const error = yield* Effect.gen(function*() {
        yield* Ref.set(failing, true)
        return yield* Effect.flip(bars1d("600519.SH", "2024-03-01", "2024-03-31"))
      }).pipe(Effect.provide(readPath(DailyBarRepo.layerMemory, { failing })))
      assert.strictEqual(error._tag, "DataUnavailable")
      assert.include(error.message, "600519.SH")
    }))

  it.effect("a provider bar that breaks OHLC is neither stored nor served, and is asked for again", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const bad = "2024-03-05"
      const series = yield* bars1d("600519.SH", "2024-03-04", "2024-03-06")
      assert.deepStrictEqual(series.bars.map((b) => b.date), ["2024-03-04", "2024-03-06"])
      const repo = yield* DailyBarRepo
      assert.deepStrictEqual((yield* repo.range("600519.SH", bad, bad)), [])
      yield* bars1d("600519.SH", "2024-03-05", "2024-03-05")
      const calls = yield* dailyCalls
      assert.deepStrictEqual(calls.at(-1), { operation: "dailyBars", symbol: "600519.SH", from: bad, to: bad })
    }).pipe(Effect.provide(readPath(DailyBarRepo.layerMemory, {
      override: (_s, bar) => (bar.date === "2024-03-05" ? { ...bar, low: bar.high + 1 } : bar)
    }))))

  it.effect("a split reported with the bars feeds qfq/hfq: qfq keeps today's prices, hfq scales by the cumulative factor; volume follows the split", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const marketData = yield* MarketData
      const q = (adjust: "none" | "qfq" | "hfq") =>
        marketData.bars("AAPL.US" as Symbol, { interval: "1d", from: "2024-06-03", to: "2024-06-14", adjust })
      const none = yield* q("none")
      const qfq = yield* q("qfq")
      const hfq = yield* q("hfq")
      assert.strictEqual(none.bars.length, 10)
      for (const [i, b] of none.bars.entries()) {
        const traded = priceOn(b.date) * (b.date < "2024-06-10" ? 4 : 1)
        assert.closeTo(b.close, traded, 1e-9)
        // One continuous series in either adjustment: the split is gone.
        assert.closeTo(qfq.bars[i]!.close, Math.round(priceOn(b.date) * 1e4) / 1e4, 1e-9)
        assert.closeTo(hfq.bars[i]!.close, Math.round(4 * priceOn(b.date) * 1e4) / 1e4, 1e-9)
        // Shares before a 4:1 split count four times in today's shares (qfq), after it a quarter in the first day's (hfq).
        const before = b.date < "2024-06-10"
        assert.strictEqual(qfq.bars[i]!.volume, before ? 4 * b.volume : b.volume)
        assert.strictEqual(hfq.bars[i]!.volume, before ? b.volume : Math.round(b.volume / 4))
        assert.strictEqual(qfq.bars[i]!.amount, b.amount)
      }
    }).pipe(Effect.provide(readPath(DailyBarRepo.layerMemory, {
      priceScale: (_s, date) => (date < "2024-06-10" ? 4 : 1),
      actions: () => [{ kind: "split", exDate: "2024-06-10", numerator: 4, denominator: 1 }]
    }))))

  it.effect("an action learned later rescales the bars already stored", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const marketData = yield* MarketData
      // Early July is stored first (its range holds no action); the range then
      // fetched for June reaches 2024-07-01 and reports a 2:1 split that must
      // also move the factors of the July bars already stored.
      yield* bars1d("600519.SH", "2024-07-02", "2024-07-05")
      const hfq = yield* marketData.bars("600519.SH" as Symbol, { interval: "1d", from: "2024-06-03", to: "2024-07-05", adjust: "hfq" })
      const qfq = yield* marketData.bars("600519.SH" as Symbol, { interval: "1d", from: "2024-06-03", to: "2024-07-05", adjust: "qfq" })
      for (const b of hfq.bars) {
        assert.closeTo(b.close, Math.round(2 * priceOn(b.date) * 1e4) / 1e4, 1e-9)
      }
      for (const b of qfq.bars) assert.closeTo(b.close, Math.round(priceOn(b.date) * 1e4) / 1e4, 1e-9)
    }).pipe(Effect.provide(readPath(DailyBarRepo.layerMemory, {
      priceScale: (_s, date) => (date < "2024-07-01" ? 2 : 1),
      actions: () => [{ kind: "split", exDate: "2024-07-01", numerator: 2, denominator: 1 }]
    }))))

  it.effect("weekly bars are complete weeks aggregated from the daily bars", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const marketData = yield* MarketData
      const weekly = yield* marketData.bars("600519.SH" as Symbol, { interval: "1w", from: "2024-03-06", to: "2024-03-20", adjust: "none" })
      const daily = yield* bars1d("600519.SH", "2024-03-04", "2024-03-22")
      assert.deepStrictEqual(weekly.bars.map((b) => b.date), ["2024-03-08", "2024-03-15", "2024-03-22"])
      const week = daily.bars.filter((b) => b.date >= "2024-03-11" && b.date <= "2024-03-15" && !b.suspended)
      const w = weekly.bars[1]!
      assert.strictEqual(w.open, week[0]!.open)
      assert.strictEqual(w.close, week.at(-1)!.close)
      assert.strictEqual(w.high, Math.max(...week.map((b) => b.high)))
      assert.strictEqual(w.low, Math.min(...week.map((b) => b.low)))
      assert.strictEqual(w.volume, week.reduce((s, b) => s + b.volume, 0))
    }).pipe(Effect.provide(readPath())))

  it.effect("bad requests fail with the error the API turns into a 4xx", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const unknown = yield* Effect.flip(bars1d("999999.SH", "2024-01-01", "2024-12-31"))
      assert.strictEqual(unknown._tag, "UnknownSymbol")
      const reversed = yield* Effect.flip(bars1d("600519.SH", "2024-12-31", "2024-01-01"))
      assert.deepStrictEqual([reversed._tag, reversed.message], ["InvalidRequest", "from (2024-12-31) must not be after to (2024-01-01)"])
      const huge = yield* Effect.flip(bars1d("AAPL.US", "1990-01-01", "2026-11-20"))
      assert.strictEqual(huge._tag, "InvalidRequest")
      assert.match(huge.message, /^range exceeds 5000 bars \(it covers \d+\); narrow from\/to$/)
      assert.deepStrictEqual(yield* dailyCalls, [])
    }).pipe(Effect.provide(readPath())))

  it.effect("quotes for many symbols: one provider call per market for the misses, cache hits after", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const marketData = yield* MarketData
      const { calls } = yield* FakeSource
      const first = yield* withFacts(marketData.quotes(symbols))
      assert.deepStrictEqual(first.value.quotes.map((q) => q.symbol), symbols)
      assert.deepStrictEqual(first.value.missing, [])
      const quoteCalls = () => Effect.map(Ref.get(calls), (cs) => cs.filter((c) => c.operation === "quotes").length)
      // CN and US: each market is asked on its own.
      assert.strictEqual(yield* quoteCalls(), 2)
      const again = yield* withFacts(marketData.quotes(symbols))
      assert.isTrue(again.cacheHit)
      assert.strictEqual(yield* quoteCalls(), 2)
      // Quotes are fresh for 5 seconds: then the stale ones are served at once
      // and refreshed by one call in the background (a refresh worker picks it up).
      yield* TestClock.adjust(Duration.seconds(6))
      const stale = yield* withFacts(marketData.quotes(symbols))
      assert.deepStrictEqual(stale.value.quotes.map((q) => q.symbol), symbols)
      for (let i = 0; i < 1_000 && (yield* quoteCalls()) < 4; i++) yield* Effect.yieldNow
      assert.strictEqual(yield* quoteCalls(), 4)
      for (let i = 0; i < 100; i++) yield* Effect.yieldNow
      assert.strictEqual(yield* quoteCalls(), 4, "one refresh for all the stale symbols, a call per market")
    }).pipe(Effect.provide(readPath())))

  it.effect("weekly and monthly indicators have a point for every bar /v1/bars answers for the same range", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const marketData = yield* MarketData
      // `to` in mid-month (and mid-week): the bars widen to whole periods, so must the points.
      for (const interval of ["1M", "1w"] as const) {
        const range = { interval, from: "2024-01-10", to: "2024-06-12", adjust: "none" as const }
        const bars = yield* marketData.bars("600519.SH" as Symbol, range)
        const sma = yield* marketData.indicator("600519.SH" as Symbol, { name: "sma", period: 3, ...range })
        assert.deepStrictEqual(sma.points.map((p) => p.date), bars.bars.filter((b) => !b.suspended).map((b) => b.date), interval)
        assert.isTrue(bars.bars.at(-1)!.date > range.to, `${interval}: the last bar is dated after 'to'`)
      }
    }).pipe(Effect.provide(readPath())))

  it.effect("an indicator value does not depend on where the requested range starts", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const marketData = yield* MarketData
      const ema = (from: string) =>
        marketData.indicator("600519.SH" as Symbol, { name: "ema", period: 20, interval: "1d", from, to: "2024-12-31", adjust: "none" })
      const long = yield* ema("2024-01-01")
      const short = yield* ema("2024-12-02")
      const late = new Map(long.points.map((p) => [p.date, p.values.value]))
      assert.isAbove(short.points.length, 15)
      for (const p of short.points) assert.closeTo(p.values.value!, late.get(p.date)!, 1e-6)
    }).pipe(Effect.provide(readPath())))
})

/** A store whose every call fails, as PostgreSQL does when it is down. */
const brokenStore = Layer.succeed(
  DailyBarRepo,
  DailyBarRepo.of({
    range: () => Effect.fail(new StoreError({ operation: "range", cause: new Error("connection refused") })),
    lastBefore: () => Effect.fail(new StoreError({ operation: "lastBefore", cause: new Error("connection refused") })),
    latestAdjFactor: () => Effect.fail(new StoreError({ operation: "latestAdjFactor", cause: new Error("connection refused") })),
    upsert: () => Effect.fail(new StoreError({ operation: "upsert", cause: new Error("connection refused") })),
    symbols: Effect.fail(new StoreError({ operation: "symbols", cause: new Error("connection refused") })),
    deleteBefore: () => Effect.fail(new StoreError({ operation: "deleteBefore", cause: new Error("connection refused") })),
    lineage: () => Effect.fail(new StoreError({ operation: "lineage", cause: new Error("connection refused") })),
    actions: () => Effect.fail(new StoreError({ operation: "actions", cause: new Error("connection refused") })),
    recordActions: () => Effect.fail(new StoreError({ operation: "recordActions", cause: new Error("connection refused") }))
  })
)
