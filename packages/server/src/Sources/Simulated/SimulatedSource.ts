import { type DayNumber, fromDayNumber, type IsoDate, toDayNumber } from "@marketgate/domain/CalendarDate"
import type { ExchangeCalendar, SessionTimes } from "@marketgate/domain/calendar/ExchangeCalendar"
import { type IntradayInterval, minutesOf } from "@marketgate/domain/Interval"
import type { Quote } from "@marketgate/domain/Quote"
import { Symbol } from "@marketgate/domain/Symbol"
import { Clock, Config, Duration, Effect, Layer, Random, Schema, SchemaGetter } from "effect"
import { TradingCalendars } from "../../Calendar/TradingCalendars.ts"
import { allOperations, MarketDataSource, SourceError, type SourceIntradayBar, unsupported } from "../MarketDataSource.ts"
import type { Instrument } from "@marketgate/domain/Instrument"
import type { Market } from "@marketgate/domain/Symbol"
import type { PricePath } from "./PriceModel.ts"
import { simulatedInstrument, simulatedPath, simulatedUniverse } from "./Universe.ts"

export interface SimulatedOptions {
  /** Prices are a pure function of (seed, symbol, date). */
  readonly seed: number
  /** Added to every call, for demos and timeout tests. */
  readonly latency: Duration.Duration
  /** Probability in [0, 1] that a call fails as "Unavailable". */
  readonly failureRate: number
  /** Symbols whose bars and quotes always fail as "Unavailable": a provider outage limited to them, for demos and tests. */
  readonly failingSymbols?: ReadonlySet<string> | undefined
}

const NAME = "simulated"
const MINUTE_MS = 60_000
const PATH_CACHE_SIZE = 512
const round2 = (x: number) => Math.round(x * 100) / 100

/** Minutes of trading in a session, lunch break excluded. */
const sessionMinutes = (t: SessionTimes): number =>
  (t.close - t.open - (t.breakStart !== undefined && t.breakEnd !== undefined ? t.breakEnd - t.breakStart : 0)) /
  MINUTE_MS

/** The instant minute `i` of the session starts. */
const minuteInstant = (t: SessionTimes, i: number): number => {
  const at = t.open + i * MINUTE_MS
  return t.breakStart !== undefined && t.breakEnd !== undefined && at >= t.breakStart
    ? at + (t.breakEnd - t.breakStart)
    : at
}

/** Minutes of the session elapsed at an instant (0 … all). */
const minutesElapsed = (t: SessionTimes, now: number): number => {
  if (now <= t.open) return 0
  if (now >= t.close) return sessionMinutes(t)
  let ms = now - t.open
  if (t.breakStart !== undefined && t.breakEnd !== undefined && now > t.breakStart) {
    ms -= Math.min(now, t.breakEnd) - t.breakStart
  }
  return Math.floor(ms / MINUTE_MS)
}

export const makeSimulatedSource = (options: SimulatedOptions) =>
  Effect.gen(function*() {
    const calendars = yield* TradingCalendars
    const paths = new Map<string, PricePath>()

    const newPath = (instrument: Instrument, recentOnly = false) =>
      simulatedPath(options.seed, instrument, calendars.of(instrument.exchange), recentOnly)
    // A snapshot walks every path of a market to today: kept apart from the LRU,
    // each remembering only its last sessions, so later snapshots only add a day.
    const snapshotPaths = new Map<string, PricePath>()
    const snapshotPath = (instrument: Instrument) => {
      let path = snapshotPaths.get(instrument.symbol)
      if (path === undefined) snapshotPaths.set(instrument.symbol, path = newPath(instrument, true))
      return path
    }

    const pathOf = (symbol: Symbol, operation: string) =>
      Effect.suspend(() => {
        if (options.failingSymbols?.has(symbol) === true) {
          return Effect.fail(
            new SourceError({
              source: NAME,
              operation,
              reason: "Unavailable",
              message: `injected failure for ${symbol} (SIMULATED_FAILING_SYMBOLS)`,
              retryable: true
            })
          )
        }
        const cached = paths.get(symbol)
        if (cached !== undefined) {
          // Re-insert: Map order is the recency order of this small LRU.
          paths.delete(symbol)
          paths.set(symbol, cached)
          return Effect.succeed(cached)
        }
        const instrument = simulatedInstrument(symbol)
        if (instrument === undefined) {
          return Effect.fail(
            new SourceError({
              source: NAME,
              operation,
              reason: "NotFound",
              message: `the simulated universe has no '${symbol}'`,
              retryable: false
            })
          )
        }
        const path = newPath(instrument)
        paths.set(symbol, path)
        if (paths.size > PATH_CACHE_SIZE) paths.delete(paths.keys().next().value!)
        return Effect.succeed(path)
      })

    /** Latency and failure injection, then the call itself. */
    const call = <A>(operation: string, body: Effect.Effect<A, SourceError>) =>
      Effect.gen(function*() {
        if (Duration.isGreaterThan(options.latency, Duration.zero)) yield* Effect.sleep(options.latency)
        if (options.failureRate > 0 && (yield* Random.next) < options.failureRate) {
          return yield* new SourceError({
            source: NAME,
            operation,
            reason: "Unavailable",
            message: `injected failure (SIMULATED_FAILURE_RATE=${options.failureRate})`,
            retryable: true
          })
        }
        return yield* body
      })

    /** Sessions in [from, to] whose close has passed: a provider knows no future. */
    const completedSessionDays = (calendar: ExchangeCalendar, from: IsoDate, to: IsoDate, now: number) => {
      const last = calendar.lastCompletedSession(now)
      if (last === undefined) return []
      return calendar.sessionDays(toDayNumber(from), Math.min(toDayNumber(to), last))
    }

    const dailyBars = Effect.fn("SimulatedSource.dailyBars")(function*(symbol: Symbol, from: IsoDate, to: IsoDate) {
      yield* Effect.annotateCurrentSpan({ "datasource.name": NAME, symbol, from, to })
      return yield* call(
        "dailyBars",
        Effect.gen(function*() {
          const path = yield* pathOf(symbol, "dailyBars")
          const now = yield* Clock.currentTimeMillis
          const calendar = calendars.of(path.instrument.exchange)
          const bars = completedSessionDays(calendar, from, to, now).flatMap((day) => {
            const state = path.state(day)
            return state === undefined || state.suspended ? [] : [path.dailyBar(state)]
          })
          return { bars, actions: [] }
        })
      )
    })

    /** Minute bars of one session up to `now`, aggregated to `size` minutes. */
    const sessionBars = (path: PricePath, day: DayNumber, size: number, now: number): Array<SourceIntradayBar> => {
      const calendar = calendars.of(path.instrument.exchange)
      const times = calendar.sessionTimes(day)
      const state = path.state(day)
      if (times === undefined || state === undefined || state.suspended || now <= times.open) return []
      const bar = path.dailyBar(state)
      const total = sessionMinutes(times)
      const prices = path.minutePath(bar, day, total)
      const elapsed = minutesElapsed(times, now)
      const weights = Array.from({ length: total }, (_, i) => 1 + 1.5 * ((2 * i) / total - 1) ** 2)
      const weightSum = weights.reduce((a, b) => a + b, 0)
      const date = fromDayNumber(day)
      const out: Array<SourceIntradayBar> = []
      // Bars never span the lunch break: the morning and afternoon are bucketed separately.
      const morning = times.breakStart === undefined ? total : (times.breakStart - times.open) / MINUTE_MS
      // Round the running total to lots, not each bar, so a session's bars add up to its daily volume.
      const lot = path.instrument.lot_size
      const volumeUpTo = (weight: number) => Math.round((bar.volume * weight) / weightSum / lot) * lot
      let weightSoFar = 0
      for (let start = 0; start < elapsed; ) {
        const boundary = start < morning ? morning : total
        const end = Math.min(start + size, boundary, elapsed)
        let high = Number.NEGATIVE_INFINITY
        let low = Number.POSITIVE_INFINITY
        const volumeBefore = volumeUpTo(weightSoFar)
        for (let i = start; i < end; i++) {
          high = Math.max(high, prices[i]!, prices[i + 1]!)
          low = Math.min(low, prices[i]!, prices[i + 1]!)
          weightSoFar += weights[i]!
        }
        const volume = volumeUpTo(weightSoFar) - volumeBefore
        out.push({
          ts: minuteInstant(times, start),
          date,
          open: prices[start]!,
          high,
          low,
          close: prices[end]!,
          volume,
          amount: round2((volume * (high + low)) / 2)
        })
        start = end
      }
      return out
    }

    const intradayBars = Effect.fn("SimulatedSource.intradayBars")(
      function*(symbol: Symbol, interval: IntradayInterval, from: IsoDate, to: IsoDate) {
        yield* Effect.annotateCurrentSpan({ "datasource.name": NAME, symbol, interval, from, to })
        return yield* call(
          "intradayBars",
          Effect.gen(function*() {
            const path = yield* pathOf(symbol, "intradayBars")
            const now = yield* Clock.currentTimeMillis
            const calendar = calendars.of(path.instrument.exchange)
            return calendar.sessionDays(toDayNumber(from), toDayNumber(to))
              .flatMap((day) => sessionBars(path, day, minutesOf(interval), now))
          })
        )
      }
    )

    const quoteOf = (path: PricePath, now: number): Quote => {
      const instrument = path.instrument
      const calendar = calendars.of(instrument.exchange)
      const { day, phase } = calendar.phaseAt(now)
      const base = { symbol: instrument.symbol, name: instrument.name }
      const quote = (
        q: Omit<Quote, "symbol" | "name" | "change" | "change_pct">
      ): Quote => ({
        ...base,
        ...q,
        change: round2(q.price - q.prev_close),
        change_pct: Math.round(((q.price - q.prev_close) / q.prev_close) * 10_000) / 100
      })
      const today = path.state(day)
      const times = calendar.sessionTimes(day)
      if (today !== undefined && times !== undefined && (phase === "open" || phase === "lunch_break")) {
        if (today.suspended) {
          const p = today.prevClose
          return quote({ price: p, open: p, high: p, low: p, prev_close: p, volume: 0, amount: 0, status: "suspended", ts: new Date(now).toISOString() })
        }
        const bars = sessionBars(path, day, 24 * 60, now)
        const soFar = bars[0]
        if (soFar !== undefined) {
          return quote({
            price: soFar.close,
            open: soFar.open,
            high: soFar.high,
            low: soFar.low,
            prev_close: today.prevClose,
            volume: soFar.volume,
            amount: soFar.amount,
            status: phase,
            ts: new Date(now).toISOString()
          })
        }
      }
      // Outside trading: the last completed session, or the previous close before the open.
      const lastDay = calendar.lastCompletedSession(now)
      const last = lastDay === undefined ? undefined : path.state(lastDay)
      if (last === undefined) {
        const p = path.state(path.listingDay)?.prevClose ?? 0
        return quote({ price: p, open: p, high: p, low: p, prev_close: p, volume: 0, amount: 0, status: "pre_open", ts: new Date(now).toISOString() })
      }
      const closedAt = new Date(calendar.sessionTimes(last.day)!.close).toISOString()
      const status = phase === "pre_open" ? "pre_open" : "closed"
      if (last.suspended) {
        const p = last.close
        return quote({ price: p, open: p, high: p, low: p, prev_close: last.prevClose, volume: 0, amount: 0, status: phase === "pre_open" ? "pre_open" : "suspended", ts: closedAt })
      }
      const bar = path.dailyBar(last)
      return quote({
        price: bar.close,
        open: bar.open,
        high: bar.high,
        low: bar.low,
        prev_close: last.prevClose,
        volume: bar.volume,
        amount: bar.amount,
        status,
        ts: closedAt
      })
    }

    const quotes = Effect.fn("SimulatedSource.quotes")(function*(symbols: ReadonlyArray<Symbol>) {
      yield* Effect.annotateCurrentSpan({ "datasource.name": NAME, symbols: symbols.length })
      return yield* call(
        "quotes",
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const out: Array<Quote> = []
          for (const symbol of symbols) out.push(quoteOf(yield* pathOf(symbol, "quotes"), now))
          return out
        })
      )
    })

    const instruments = call("instruments", Effect.sync(() => ({ instruments: simulatedUniverse(), complete: true }))).pipe(
      Effect.withSpan("SimulatedSource.instruments", { attributes: { "datasource.name": NAME } })
    )

    const instrument = Effect.fn("SimulatedSource.instrument")(function*(symbol: Symbol) {
      yield* Effect.annotateCurrentSpan({ "datasource.name": NAME, symbol })
      const found = simulatedInstrument(symbol)
      return yield* call(
        "instrument",
        found === undefined
          ? Effect.fail(new SourceError({ source: NAME, operation: "instrument", reason: "NotFound", message: `the simulated universe has no '${symbol}'`, retryable: false }))
          : Effect.succeed(found)
      )
    })

    // Every stock and ETF of the market (indices are not in a snapshot), quoted at one instant.
    const SNAPSHOT_CHUNK = 100
    const snapshot = Effect.fn("SimulatedSource.snapshot")(function*(market: Market) {
      yield* Effect.annotateCurrentSpan({ "datasource.name": NAME, market })
      return yield* call(
        "snapshot",
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const listed = simulatedUniverse().filter((i) => i.market === market && i.kind !== "index")
          const quotes: Array<Quote> = []
          for (let start = 0; start < listed.length; start += SNAPSHOT_CHUNK) {
            for (const instrument of listed.slice(start, start + SNAPSHOT_CHUNK)) quotes.push(quoteOf(snapshotPath(instrument), now))
            // The first snapshot walks thousands of paths to today (seconds of CPU): yield between
            // chunks so the requests that arrive meanwhile are served, not queued behind it.
            yield* Effect.yieldNow
          }
          return { quotes, expected: listed.length }
        })
      )
    })

    return MarketDataSource.of({
      name: NAME,
      capabilities: { operations: allOperations, markets: new Set(["CN", "US"]) },
      instruments,
      instrument,
      dailyBars,
      intradayBars,
      quotes,
      snapshot,
      // The demo world has no order flow to rank: money flow is refused, never made up.
      moneyFlow: () => Effect.fail(unsupported(NAME, "moneyFlow"))
    })
  })

export const SimulatedConfig = Config.all({
  seed: Config.Int("SIMULATED_SEED").pipe(Config.withDefault(42)),
  latency: Config.Int("SIMULATED_LATENCY_MS").pipe(
    Config.withDefault(0),
    Config.map((ms) => Duration.millis(Math.max(0, ms)))
  ),
  failureRate: Config.Number("SIMULATED_FAILURE_RATE").pipe(
    Config.withDefault(0),
    Config.map((r) => Math.min(1, Math.max(0, r)))
  ),
  failingSymbols: Config.schema(
    Schema.String.pipe(Schema.decodeTo(Schema.Array(Symbol), {
      decode: SchemaGetter.transform((s: string) => s.split(",").map((x) => x.trim()).filter((x) => x.length > 0)),
      encode: SchemaGetter.transform((xs: ReadonlyArray<string>) => xs.join(","))
    })),
    "SIMULATED_FAILING_SYMBOLS"
  ).pipe(Config.withDefault([] as ReadonlyArray<Symbol>), Config.map((xs) => new Set<string>(xs)))
})

/** The embedded default provider: deterministic, realistic, offline. */
export const layer = (options: SimulatedOptions) =>
  Layer.effect(MarketDataSource, makeSimulatedSource(options))

export const layerConfig = Layer.effect(
  MarketDataSource,
  Effect.flatMap(SimulatedConfig, makeSimulatedSource)
)
