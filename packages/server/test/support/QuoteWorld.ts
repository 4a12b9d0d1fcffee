import type { Quote } from "@marketgate/domain/Quote"
import type { Symbol } from "@marketgate/domain/Symbol"
import { Effect, Layer, Ref } from "effect"
import { TradingCalendars } from "../../src/Calendar/TradingCalendars.ts"
import { MarketData } from "../../src/MarketData/MarketData.ts"
import { allOperations, MarketDataSource } from "../../src/Sources/MarketDataSource.ts"

export const MOUTAI = "600519.SH" as Symbol
export const APPLE = "AAPL.US" as Symbol
/** Wednesday 2025-06-04 10:15 in Shanghai: the A-share session is open, New York is closed. */
export const CN_SESSION = Date.parse("2025-06-04T02:15:00Z")

export const quote = (symbol: string, price: number, now: number): Quote => ({
  symbol: symbol as Symbol,
  name: symbol,
  price,
  open: 10,
  high: Math.max(10, price),
  low: Math.min(10, price),
  prev_close: 10,
  change: price - 10,
  change_pct: (price - 10) * 10,
  volume: 1000,
  amount: 10_000,
  status: "open",
  ts: new Date(now).toISOString()
})

/** A provider whose prices the test sets, recording the symbols of every quotes call. */
export const world = Effect.gen(function*() {
  const prices = yield* Ref.make<Record<string, number>>({ [MOUTAI]: 10, [APPLE]: 200 })
  /** Symbols of each upstream poll (the hub's) and of each snapshot read (a stream's start). */
  const calls = yield* Ref.make<ReadonlyArray<ReadonlyArray<string>>>([])
  const snapshots = yield* Ref.make<ReadonlyArray<ReadonlyArray<string>>>([])
  const answer = (log: Ref.Ref<ReadonlyArray<ReadonlyArray<string>>>) => (symbols: ReadonlyArray<Symbol>) =>
    Effect.gen(function*() {
      yield* Ref.update(log, (cs) => [...cs, [...symbols]])
      const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
      const p = yield* Ref.get(prices)
      return symbols.map((s) => quote(s, p[s] ?? 1, now))
    })
  const source = MarketDataSource.of({
    name: "fake",
    capabilities: { operations: allOperations, markets: new Set(["CN", "US"]) },
    instruments: Effect.succeed({ instruments: [], complete: true }),
    instrument: () => Effect.die("not used"),
    dailyBars: () => Effect.die("not used"),
    intradayBars: () => Effect.die("not used"),
    quotes: answer(calls),
    snapshot: () => Effect.die("not used"),
    moneyFlow: () => Effect.die("not used")
  })
  const marketData = MarketData.of({
    quotes: (symbols) => Effect.map(answer(snapshots)(symbols), (quotes) => ({ quotes, missing: [] })),
    bars: () => Effect.die("not used"),
    indicator: () => Effect.die("not used")
  })
  return { prices, calls, snapshots, layer: Layer.mergeAll(Layer.succeed(MarketDataSource, source), Layer.succeed(MarketData, marketData), TradingCalendars.layer) }
})

