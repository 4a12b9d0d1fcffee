import type { DataUnavailable, NoData } from "@marketgate/domain/ApiErrors"
import type { Quote } from "@marketgate/domain/Quote"
import { exchangeOf, type Symbol } from "@marketgate/domain/Symbol"
import { Clock, Context, Deferred, Duration, Effect, Layer, Schedule, Stream } from "effect"
import { TradingCalendars } from "../Calendar/TradingCalendars.ts"
import { MarketData } from "../MarketData/MarketData.ts"
import { MarketDataSource } from "../Sources/MarketDataSource.ts"
import { QuoteBus } from "./QuoteBus.ts"
import { type StreamSettings, StreamSettingsConfig } from "./StreamSettings.ts"

/** Symbols per upstream call: the quotes endpoint's own limit. */
const POLL_BATCH = 100

/** A quote that says something new (its `ts` alone moves on every poll during a session). */
const moved = (before: Quote | undefined, now: Quote) =>
  before === undefined || before.price !== now.price || before.volume !== now.volume || before.high !== now.high ||
  before.low !== now.low || before.status !== now.status || before.prev_close !== now.prev_close

const instant = (q: Quote) => Date.parse(q.ts)

/**
 * Live quotes for every stream of this instance. Streams register the symbols
 * they watch; one poller asks the providers for each watched symbol this
 * instance holds the lease of (every one, without Redis), once per tick for
 * all subscribers, and publishes what changed on the bus; each stream takes
 * its symbols' quotes from the bus.
 */
export class QuoteHub extends Context.Service<QuoteHub, {
  /** The latest quote of each symbol, then every change, until the hub closes. */
  readonly quotes: (symbols: ReadonlyArray<Symbol>) => Stream.Stream<Quote, NoData | DataUnavailable>
  /** Completes when the hub starts closing: streams send their `end` event then. */
  readonly closing: Effect.Effect<void>
  readonly close: Effect.Effect<void>
  /** Symbols watched here now (for tests and metrics). */
  readonly watched: () => ReadonlyArray<Symbol>
}>()("@marketgate/server/Streaming/QuoteHub") {
  static readonly make = (settings: StreamSettings) =>
    Effect.gen(function*() {
      const bus = yield* QuoteBus
      const source = yield* MarketDataSource
      const marketData = yield* MarketData
      const calendars = yield* TradingCalendars
      const closing = yield* Deferred.make<void>()

      const watchers = new Map<Symbol, number>()
      // The latest quote any instance published, per watched symbol.
      const latest = new Map<Symbol, Quote>()
      const polledAt = new Map<Symbol, number>()
      let leased = new Set<Symbol>()
      const idleMs = Duration.toMillis(settings.idlePollInterval)

      const watch = (symbols: ReadonlyArray<Symbol>) =>
        Effect.acquireRelease(
          Effect.sync(() => {
            for (const s of symbols) watchers.set(s, (watchers.get(s) ?? 0) + 1)
          }),
          () =>
            Effect.sync(() => {
              for (const s of symbols) {
                const n = (watchers.get(s) ?? 1) - 1
                if (n > 0) watchers.set(s, n)
                else {
                  watchers.delete(s)
                  latest.delete(s)
                  polledAt.delete(s)
                }
              }
            })
        )

      const trading = (symbol: Symbol, now: number) => calendars.of(exchangeOf(symbol)).phaseAt(now).phase === "open"

      const poll = (symbols: ReadonlyArray<Symbol>) =>
        source.quotes(symbols).pipe(
          Effect.timeout(Duration.max(Duration.times(settings.pollInterval, 5), Duration.seconds(5))),
          Effect.map((quotes) => quotes.filter((q) => moved(latest.get(q.symbol as Symbol), q))),
          Effect.tap((changed) =>
            Effect.sync(() => {
              for (const q of changed) latest.set(q.symbol as Symbol, q)
            })
          ),
          Effect.flatMap(bus.publish),
          // A failed poll is tried again on the next tick; the streams stay open meanwhile.
          Effect.catch((error) => Effect.logWarning("quote stream poll failed", { symbols: symbols.length, error: String(error) }))
        )

      const tick = Effect.gen(function*() {
        const symbols = [...watchers.keys()]
        yield* bus.release([...leased].filter((s) => !watchers.has(s)))
        const mine = yield* bus.claim(symbols)
        leased = new Set(mine)
        const now = yield* Clock.currentTimeMillis
        const due = mine.filter((s) => trading(s, now) || now - (polledAt.get(s) ?? Number.NEGATIVE_INFINITY) >= idleMs)
        for (const s of due) polledAt.set(s, now)
        for (let i = 0; i < due.length; i += POLL_BATCH) yield* poll(due.slice(i, i + POLL_BATCH))
      }).pipe(Effect.withSpan("QuoteHub.poll"))

      // Quotes other instances published count as seen, so a poll here compares against them.
      const sub = yield* bus.subscribe
      yield* Stream.fromSubscription(sub).pipe(
        Stream.runForEach((q) =>
          Effect.sync(() => {
            const s = q.symbol as Symbol
            const known = latest.get(s)
            if (watchers.has(s) && (known === undefined || instant(q) >= instant(known))) latest.set(s, q)
          })
        ),
        Effect.forkScoped
      )
      yield* tick.pipe(
        Effect.repeat(Schedule.spaced(settings.pollInterval)),
        Effect.forkScoped
      )
      yield* Effect.addFinalizer(() => bus.release([...leased]))

      const quotes = (symbols: ReadonlyArray<Symbol>) =>
        Stream.unwrap(
          Effect.gen(function*() {
            // Subscribe before reading the snapshot, so no change falls between the two.
            const subscription = yield* bus.subscribe
            yield* watch(symbols)
            const missing = symbols.filter((s) => !latest.has(s))
            const read = missing.length > 0 ? (yield* marketData.quotes(missing)).quotes : []
            const snapshot = symbols.flatMap((s) => {
              const known = latest.get(s)
              const fetched = read.find((q) => q.symbol === s)
              const newest = known === undefined ? fetched : fetched === undefined || instant(known) >= instant(fetched) ? known : fetched
              return newest === undefined ? [] : [newest]
            })
            const wanted = new Set<string>(symbols)
            const sent = new Map<string, Quote>()
            // Each stream sends a symbol's quote once, and never an older one after a newer.
            const fresh = (q: Quote) => {
              if (!wanted.has(q.symbol)) return false
              const before = sent.get(q.symbol)
              if (before !== undefined && (instant(q) < instant(before) || !moved(before, q))) return false
              sent.set(q.symbol, q)
              return true
            }
            return Stream.fromIterable(snapshot).pipe(Stream.concat(Stream.fromSubscription(subscription)), Stream.filter(fresh))
          })
        )

      return QuoteHub.of({
        quotes,
        closing: Deferred.await(closing),
        close: Deferred.succeed(closing, undefined).pipe(Effect.asVoid),
        watched: () => [...watchers.keys()]
      })
    })

  static readonly layer = (settings: StreamSettings) => Layer.effect(QuoteHub, QuoteHub.make(settings))

  static readonly layerConfig = Layer.effect(QuoteHub, Effect.flatMap(StreamSettingsConfig, QuoteHub.make))
}
