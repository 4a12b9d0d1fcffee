import { assert, describe, it } from "@effect/vitest"
import { ohlcViolation } from "@marketgate/domain/BarChecks"
import { xnys, xshg } from "@marketgate/domain/calendar/Calendars"
import { toDayNumber } from "@marketgate/domain/CalendarDate"
import { Symbol } from "@marketgate/domain/Symbol"
import { Duration, Effect, Fiber, Layer, Schema } from "effect"
import { TestClock } from "effect/testing"
import { TradingCalendars } from "../../src/Calendar/TradingCalendars.ts"
import { MarketDataSource, type SourceDailyBar, SourceError } from "../../src/Sources/MarketDataSource.ts"
import * as Simulated from "../../src/Sources/Simulated/SimulatedSource.ts"

const sym = Schema.decodeUnknownSync(Symbol)
const round2 = (x: number) => Math.round(x * 100) / 100

const source = (options: Partial<Simulated.SimulatedOptions> = {}) =>
  Simulated.layer({ seed: 42, latency: Duration.zero, failureRate: 0, ...options }).pipe(Layer.provide(TradingCalendars.layer))

/** Run `f` against a fresh simulated source with the TestClock at `at`. */
const withSource = <A, E>(
  at: string,
  f: (s: MarketDataSource["Service"]) => Effect.Effect<A, E>,
  options: Partial<Simulated.SimulatedOptions> = {}
) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(Date.parse(at))
    return yield* f(yield* MarketDataSource)
  }).pipe(Effect.provide(source(options)))

const SATURDAY = "2026-11-21T12:00:00Z" // every market closed; last sessions were Friday 2026-11-20
const daily = (symbol: string, from: string, to: string, at = SATURDAY, seed = 42) =>
  withSource(at, (s) => Effect.map(s.dailyBars(sym(symbol), from, to), (r) => r.bars), { seed })

describe("universe", () => {
  it.effect("has ≥ 3000 CN and ≥ 500 US listings with unique, valid symbols", () =>
    withSource(SATURDAY, (s) => Effect.map(s.instruments, (l) => l.instruments)).pipe(Effect.map((all) => {
      const symbols: Array<string> = all.map((i) => i.symbol)
      assert.isAtLeast(all.filter((i) => i.market === "CN").length, 3000)
      assert.isAtLeast(all.filter((i) => i.market === "US").length, 500)
      assert.strictEqual(new Set(symbols).size, symbols.length)
      assert.notInclude(symbols, "999999.SH")
      for (const i of all) {
        assert.strictEqual(i.symbol, `${i.code}.${i.exchange}`)
        assert.strictEqual(i.market, i.exchange === "US" ? "US" : "CN")
        assert.strictEqual(i.lot_size, i.market === "CN" && i.kind !== "index" ? 100 : 1)
      }
      assert.includeMembers(symbols, ["600519.SH", "000001.SZ", "300750.SZ", "688981.SH", "AAPL.US", "BRK-B.US"])
      // The market indices are instruments of the demo world too.
      assert.includeMembers(symbols, ["000001.SH", "399001.SZ", "000300.SH", "399006.SZ", "000688.SH", "^GSPC.US", "^IXIC.US", "^DJI.US"])
    })))
})

describe("determinism", () => {
  it.effect("the same seed gives identical bars; another seed gives other closes", () =>
    Effect.gen(function*() {
      const a = yield* daily("600519.SH", "2024-01-01", "2024-12-31")
      const b = yield* daily("600519.SH", "2024-01-01", "2024-12-31")
      const c = yield* daily("600519.SH", "2024-01-01", "2024-12-31", SATURDAY, 43)
      assert.isAbove(a.length, 200)
      assert.deepStrictEqual(b, a)
      const other = new Map(c.map((bar) => [bar.date, bar.close]))
      const same = a.filter((bar) => other.get(bar.date) === bar.close).length
      assert.isBelow(same, a.length / 10)
    }))

  it.effect("a bar does not depend on the requested range", () =>
    Effect.gen(function*() {
      const long = yield* daily("000001.SZ", "2020-01-01", "2024-12-31")
      const short = yield* daily("000001.SZ", "2024-06-01", "2024-06-30")
      assert.deepStrictEqual(short, long.filter((b) => b.date >= "2024-06-01" && b.date <= "2024-06-30"))
    }))
})

const cnSample = ["600519.SH", "601872.SH", "600036.SH", "000001.SZ", "000002.SZ", "002594.SZ", "510300.SH"]
const wideSample = ["300750.SZ", "300059.SZ", "688981.SH", "688111.SH"]
const usSample = ["AAPL.US", "BRK-B.US", "JPM.US"]

describe("daily bars", () => {
  it.effect("fall only on exchange sessions, ascending, and satisfy OHLC invariants", () =>
    Effect.gen(function*() {
      for (const symbol of [...cnSample, ...wideSample, ...usSample]) {
        const bars = yield* daily(symbol, "2019-01-01", "2026-12-31")
        const calendar = symbol.endsWith(".US") ? xnys : xshg
        const sessions = new Set(calendar.sessions("2019-01-01", "2026-11-20"))
        assert.isAbove(bars.length, 500, symbol)
        bars.forEach((b, i) => {
          assert.isTrue(sessions.has(b.date), `${symbol} ${b.date} is not a session`)
          if (i > 0) assert.isTrue(b.date > bars[i - 1]!.date, `${symbol} ${b.date} out of order`)
          assert.isUndefined(ohlcViolation(b), `${symbol} ${b.date}`)
          assert.strictEqual(b.volume % (symbol.endsWith(".US") ? 1 : 100), 0, `${symbol} ${b.date} volume in lots`)
          assert.isAbove(b.amount, 0)
        })
      }
    }))

  it.effect("no bar before listing", () =>
    Effect.gen(function*() {
      // 688981.SH was listed 2020-07-16.
      const bars = yield* daily("688981.SH", "2019-01-01", "2020-12-31")
      assert.isTrue(bars[0]!.date >= "2020-07-16", bars[0]!.date)
      assert.isAbove(bars.length, 100)
    }))

  // The daily limit applies to every price of the day, relative to the previous close.
  const assertWithinLimit = (symbol: string, bars: ReadonlyArray<SourceDailyBar>, limit: number) => {
    let atLimit = 0
    for (let i = 1; i < bars.length; i++) {
      const prev = bars[i - 1]!.close // suspended sessions are omitted: this is the previous close
      const [down, up] = [round2(prev * (1 - limit)), round2(prev * (1 + limit))]
      const b = bars[i]!
      for (const p of [b.open, b.high, b.low, b.close]) {
        assert.isTrue(p >= down - 1e-9 && p <= up + 1e-9, `${symbol} ${b.date}: ${p} outside [${down}, ${up}] of ${prev}`)
      }
      if (b.close === up || b.close === down) atLimit++
    }
    return atLimit
  }

  it.effect("A-shares respect ±10 % (main board, ETF) and ±20 % (ChiNext 300xxx, STAR 688xxx)", () =>
    Effect.gen(function*() {
      let hits = 0
      for (const symbol of cnSample) hits += assertWithinLimit(symbol, yield* daily(symbol, "2012-01-01", "2026-12-31"), 0.1)
      let beyondTen = 0
      for (const symbol of wideSample) {
        const bars = yield* daily(symbol, "2019-01-01", "2026-12-31")
        assertWithinLimit(symbol, bars, 0.2)
        for (let i = 1; i < bars.length; i++) if (Math.abs(bars[i]!.close / bars[i - 1]!.close - 1) > 0.1) beyondTen++
      }
      // The bands are reached, and the wider boards do use their wider band: the checks are not vacuous.
      assert.isAbove(hits, 0)
      assert.isAbove(beyondTen, 0)
    }))

  it.effect("US listings have no limit band: some day moves more than 10 %", () =>
    Effect.gen(function*() {
      let big = 0
      for (const symbol of usSample) {
        const bars = yield* daily(symbol, "2000-01-01", "2026-12-31")
        for (let i = 1; i < bars.length; i++) if (Math.abs(bars[i]!.close / bars[i - 1]!.close - 1) > 0.1) big++
      }
      assert.isAbove(big, 0)
    }))

  it.effect("some CN sessions are suspended (missing), but only rarely", () =>
    Effect.gen(function*() {
      let missing = 0
      let total = 0
      for (const symbol of cnSample) {
        const bars = yield* daily(symbol, "2013-01-01", "2026-12-31")
        const sessions = xshg.countSessions("2013-01-01", "2026-11-20")
        missing += sessions - bars.length
        total += sessions
      }
      assert.isAbove(missing, 0)
      assert.isBelow(missing / total, 0.02)
    }))
})

describe("the clock bounds what exists", () => {
  it.effect("no daily bar for a session that has not closed yet", () =>
    Effect.gen(function*() {
      for (const [symbol, calendar] of [["600519.SH", xshg], ["AAPL.US", xnys]] as const) {
        const after = yield* daily(symbol, "2026-11-16", "2026-12-31")
        const last = after[after.length - 1]!
        assert.strictEqual(last.date, "2026-11-20") // nothing after Friday, though `to` is in December
        const close = calendar.sessionTimes(toDayNumber(last.date))!.close
        const before = yield* daily(symbol, "2026-11-16", "2026-12-31", new Date(close - 1).toISOString())
        assert.deepStrictEqual(before, after.slice(0, -1))
        const atClose = yield* daily(symbol, "2026-11-16", "2026-12-31", new Date(close).toISOString())
        assert.deepStrictEqual(atClose, after)
      }
    }))
})

describe("quotes", () => {
  const quote = (symbol: string, at: string) => withSource(at, (s) => s.quotes([sym(symbol)])).pipe(Effect.map((q) => q[0]!))
  // Friday 2026-11-20 in Shanghai (UTC+8): 09:30–11:30 and 13:00–15:00.
  const friday = (hhmm: string) => `2026-11-20T${hhmm}:00+08:00`

  it.effect("move during the session and hold still over lunch", () =>
    Effect.gen(function*() {
      const [bar] = yield* daily("600519.SH", "2026-11-20", "2026-11-20")
      assert.isDefined(bar, "600519.SH traded on 2026-11-20")
      const prev = yield* daily("600519.SH", "2026-11-01", "2026-11-19")
      const morning = yield* quote("600519.SH", friday("10:00"))
      const later = yield* quote("600519.SH", friday("10:30"))
      assert.strictEqual(morning.status, "open")
      assert.strictEqual(later.status, "open")
      assert.notStrictEqual(morning.price, later.price)
      // The running figures belong to today's bar.
      for (const q of [morning, later]) {
        assert.strictEqual(q.open, bar!.open)
        assert.strictEqual(q.prev_close, prev[prev.length - 1]!.close)
        assert.isTrue(q.low >= bar!.low && q.high <= bar!.high && q.low <= q.price && q.price <= q.high)
        assert.isBelow(q.volume, bar!.volume)
        assert.strictEqual(q.change, round2(q.price - q.prev_close))
      }
      assert.isAtLeast(later.volume, morning.volume)

      const lunch1 = yield* quote("600519.SH", friday("11:45"))
      const lunch2 = yield* quote("600519.SH", friday("12:55"))
      assert.strictEqual(lunch1.status, "lunch_break")
      assert.strictEqual(lunch2.status, "lunch_break")
      assert.strictEqual(lunch1.price, lunch2.price)
      assert.strictEqual((yield* quote("600519.SH", friday("13:30"))).status, "open")
    }))

  it.effect("before the open show the previous close; after the close equal the daily bar", () =>
    Effect.gen(function*() {
      const bars = yield* daily("600519.SH", "2026-11-01", "2026-11-20")
      const [prev, today] = [bars[bars.length - 2]!, bars[bars.length - 1]!]
      assert.strictEqual(today.date, "2026-11-20")
      const pre = yield* quote("600519.SH", friday("09:00"))
      assert.strictEqual(pre.status, "pre_open")
      assert.strictEqual(pre.price, prev.close)
      for (const at of [friday("15:00"), friday("18:00"), SATURDAY]) {
        const q = yield* quote("600519.SH", at)
        assert.strictEqual(q.status, "closed", at)
        assert.deepStrictEqual([q.price, q.open, q.high, q.low, q.volume], [today.close, today.open, today.high, today.low, today.volume])
        assert.strictEqual(q.prev_close, prev.close)
      }
      const [aapl] = yield* daily("AAPL.US", "2026-11-20", "2026-11-20")
      assert.strictEqual((yield* quote("AAPL.US", SATURDAY)).price, aapl!.close)
    }))
})

describe("intraday bars", () => {
  const intraday = (symbol: string, interval: "1m" | "60m", date: string, at = SATURDAY) =>
    withSource(at, (s) => s.intradayBars(sym(symbol), interval, date, date))

  it.effect("1m bars of a session aggregate to the daily bar", () =>
    Effect.gen(function*() {
      for (const [symbol, date, minutes] of [["600519.SH", "2026-11-20", 240], ["300750.SZ", "2026-11-18", 240], ["AAPL.US", "2026-11-20", 390]] as const) {
        const [bar] = yield* daily(symbol, date, date)
        const minute = yield* intraday(symbol, "1m", date)
        assert.strictEqual(minute.length, minutes, symbol)
        assert.strictEqual(minute[0]!.open, bar!.open)
        assert.strictEqual(minute[minute.length - 1]!.close, bar!.close)
        assert.strictEqual(Math.max(...minute.map((m) => m.high)), bar!.high)
        assert.strictEqual(Math.min(...minute.map((m) => m.low)), bar!.low)
        assert.strictEqual(minute.reduce((s, m) => s + m.volume, 0), bar!.volume, `${symbol} volume`)
        minute.forEach((m, i) => {
          assert.isUndefined(ohlcViolation(m), `${symbol} ${m.ts}`)
          if (i > 0) assert.strictEqual(m.open, minute[i - 1]!.close) // minutes join up
        })
      }
    }))

  it.effect("A-share minutes skip the lunch break and hourly bars do not span it", () =>
    Effect.gen(function*() {
      const minute = yield* intraday("600519.SH", "1m", "2026-11-20")
      const times = minute.map((m) => new Date(m.ts).toISOString().slice(11, 16))
      // 09:30–11:29 and 13:00–14:59 Beijing are 01:30–03:29 and 05:00–06:59 UTC.
      assert.strictEqual(times[0], "01:30")
      assert.strictEqual(times[119], "03:29")
      assert.strictEqual(times[120], "05:00")
      assert.strictEqual(times[239], "06:59")
      const hourly = yield* intraday("600519.SH", "60m", "2026-11-20")
      assert.deepStrictEqual(hourly.map((h) => new Date(h.ts).toISOString().slice(11, 16)), ["01:30", "02:30", "05:00", "06:00"])
      assert.strictEqual(hourly.reduce((s, h) => s + h.volume, 0), minute.reduce((s, m) => s + m.volume, 0))
      assert.deepStrictEqual(hourly.map((h) => h.close), [59, 119, 179, 239].map((i) => minute[i]!.close))
    }))

  it.effect("during a session only the elapsed minutes exist, the last ending at the quote price", () =>
    Effect.gen(function*() {
      const at = "2026-11-20T10:00:00+08:00"
      const minute = yield* intraday("600519.SH", "1m", "2026-11-20", at)
      const q = yield* withSource(at, (s) => s.quotes([sym("600519.SH")]))
      assert.strictEqual(minute.length, 30)
      assert.strictEqual(minute[minute.length - 1]!.close, q[0]!.price)
      assert.strictEqual(q[0]!.volume, minute.reduce((s, m) => s + m.volume, 0))
    }))
})

describe("injected latency and failures, unknown symbols", () => {
  it.effect("a call with 200 ms latency completes only once 200 ms have passed", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse(SATURDAY))
      const s = yield* MarketDataSource
      const fiber = yield* Effect.forkChild(s.dailyBars(sym("600519.SH"), "2026-11-16", "2026-11-20"))
      yield* TestClock.adjust("199 millis")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const { actions, bars } = yield* Fiber.join(fiber)
      assert.isAbove(bars.length, 0)
      assert.deepStrictEqual(actions, [])
    }).pipe(Effect.provide(source({ latency: Duration.millis(200) }))))

  it.effect("failureRate 1 fails every call as Unavailable", () =>
    withSource(SATURDAY, (s) =>
      Effect.gen(function*() {
        const calls: ReadonlyArray<Effect.Effect<unknown, SourceError>> = [
          s.instruments,
          s.dailyBars(sym("600519.SH"), "2026-11-16", "2026-11-20"),
          s.intradayBars(sym("AAPL.US"), "1m", "2026-11-20", "2026-11-20"),
          s.quotes([sym("600519.SH")])
        ]
        for (const call of calls) {
          const error = yield* Effect.flip(call)
          assert.instanceOf(error, SourceError)
          assert.strictEqual(error.reason, "Unavailable")
          assert.isTrue(error.retryable)
        }
      }), { failureRate: 1 }))

  it.effect("an unknown symbol fails as NotFound", () =>
    withSource(SATURDAY, (s) =>
      Effect.gen(function*() {
        const calls: ReadonlyArray<Effect.Effect<unknown, SourceError>> = [
          s.dailyBars(sym("999999.SH"), "2026-11-16", "2026-11-20"),
          s.intradayBars(sym("ZZZZZZ.US"), "1m", "2026-11-20", "2026-11-20"),
          s.quotes([sym("600519.SH"), sym("999999.SZ")])
        ]
        for (const call of calls) {
          const error = yield* Effect.flip(call)
          assert.strictEqual(error.reason, "NotFound")
          assert.isFalse(error.retryable)
        }
      })))
})
