import { defaultCalendars, calendarOf } from "@marketgate/domain/calendar/Calendars"
import { fromDayNumber, toDayNumber } from "@marketgate/domain/CalendarDate"
import { type Instrument, makeInstrument } from "@marketgate/domain/Instrument"
import type { Quote } from "@marketgate/domain/Quote"
import type { Symbol } from "@marketgate/domain/Symbol"
import { Clock, Context, Effect, Layer, Ref } from "effect"
import {
  allOperations,
  type CorporateAction,
  MarketDataSource,
  type SourceDailyBar,
  SourceError,
  unsupported
} from "../../src/Sources/MarketDataSource.ts"
import { SourceRouter } from "../../src/Sources/SourceRouter.ts"

export interface SourceCall {
  readonly operation: string
  readonly symbol: string
  readonly from: string
  readonly to: string
}

export interface FakeSourceOptions {
  /** Sessions the instrument did not trade (absent from answers, like a real provider). */
  readonly suspended?: (symbol: string, date: string) => boolean
  /** A bar to return instead of the generated one (to inject bad data). */
  readonly override?: (symbol: string, bar: SourceDailyBar) => SourceDailyBar
  /** Corporate actions of a symbol, reported with the bars whose range holds their ex-date. */
  readonly actions?: (symbol: string) => ReadonlyArray<CorporateAction>
  /** An as-traded price multiplier of a date (e.g. 4 before a 4:1 split). */
  readonly priceScale?: (symbol: string, date: string) => number
  /** When set, every call fails with this reason. */
  readonly failing?: Ref.Ref<boolean>
  /** Symbols the provider has nothing for: bars fail NotFound, quotes omit them (NotFound when none is left). */
  readonly unknown?: (symbol: string) => boolean
}

export const fakeInstruments: ReadonlyArray<Instrument> = [
  makeInstrument("600519", "SH", "Fake Moutai", "main", "2001-08-27"),
  makeInstrument("300750", "SZ", "Fake CATL", "chinext", "2018-06-11"),
  makeInstrument("AAPL", "US", "Fake Apple", "nasdaq", "1990-01-02")
]

/**
 * A price that depends only on the date, so any two answers agree, and moves
 * like a real one (at most ~0.5 % a day, ~5 % over a long holiday), so the
 * quality rules accept it.
 */
export const priceOn = (date: string) => Math.round((10 + 2 * Math.sin(toDayNumber(date) / 40)) * 100) / 100

/**
 * A provider that answers from a formula and records every call, so tests can
 * assert exactly what was asked of it.
 */
export class FakeSource extends Context.Service<FakeSource, {
  readonly calls: Ref.Ref<ReadonlyArray<SourceCall>>
}>()("test/FakeSource") {
  static readonly layer = (options: FakeSourceOptions = {}) =>
    Layer.effectContext(
      Effect.gen(function*() {
        const calls = yield* Ref.make<ReadonlyArray<SourceCall>>([])
        const record = (call: SourceCall) =>
          Effect.gen(function*() {
            yield* Ref.update(calls, (cs) => [...cs, call])
            if (options.failing !== undefined && (yield* Ref.get(options.failing))) {
              return yield* new SourceError({
                source: "fake",
                operation: call.operation,
                reason: "Unavailable",
                message: "the fake provider is down",
                retryable: true
              })
            }
          })
        const exchangeOf = (symbol: string) => fakeInstruments.find((i) => i.symbol === symbol)?.exchange ?? "SH"

        const notFound = (operation: string, what: string) =>
          new SourceError({ source: "fake", operation, reason: "NotFound", message: `fake has no data for ${what}`, retryable: false })

        const dailyBars = (symbol: Symbol, from: string, to: string) =>
          Effect.gen(function*() {
            yield* record({ operation: "dailyBars", symbol, from, to })
            if (options.unknown?.(symbol)) return yield* notFound("dailyBars", symbol)
            const now = yield* Clock.currentTimeMillis
            const calendar = calendarOf(defaultCalendars, exchangeOf(symbol))
            const last = calendar.lastCompletedSession(now) ?? Number.NEGATIVE_INFINITY
            const bars = calendar.sessionDays(toDayNumber(from), Math.min(toDayNumber(to), last)).flatMap((d) => {
              const date = fromDayNumber(d)
              if (options.suspended?.(symbol, date)) return []
              const close = priceOn(date) * (options.priceScale?.(symbol, date) ?? 1)
              const bar: SourceDailyBar = {
                date,
                open: close - 0.1,
                high: close + 0.2,
                low: close - 0.3,
                close,
                volume: 1000 + d,
                amount: (1000 + d) * close
              }
              return [options.override?.(symbol, bar) ?? bar]
            })
            const actions = (options.actions?.(symbol) ?? []).filter((a) => a.exDate >= from && a.exDate <= to)
            return { bars, actions }
          })

        const quotes = (symbols: ReadonlyArray<Symbol>) =>
          Effect.gen(function*() {
            yield* record({ operation: "quotes", symbol: symbols.join(","), from: "", to: "" })
            const now = yield* Clock.currentTimeMillis
            const known = symbols.filter((s) => !options.unknown?.(s))
            if (known.length === 0) return yield* notFound("quotes", symbols.join(", "))
            return known.map((symbol): Quote => ({
              symbol,
              name: symbol,
              price: 10,
              open: 9.9,
              high: 10.2,
              low: 9.8,
              prev_close: 9.95,
              change: 0.05,
              change_pct: 0.5,
              volume: 1000,
              amount: 10_000,
              status: "open",
              ts: new Date(now).toISOString()
            }))
          })

        const source = MarketDataSource.of({
          name: "fake",
          capabilities: { operations: allOperations, markets: new Set(["CN", "US"]) },
          instruments: Effect.as(record({ operation: "instruments", symbol: "", from: "", to: "" }), { instruments: fakeInstruments, complete: true }),
          instrument: (symbol) =>
            Effect.andThen(record({ operation: "instrument", symbol, from: "", to: "" }), () => {
              const found = fakeInstruments.find((i) => i.symbol === symbol)
              return found === undefined ? Effect.fail(notFound("instrument", symbol)) : Effect.succeed(found)
            }),
          dailyBars,
          intradayBars: (symbol, _interval, from, to) =>
            Effect.as(record({ operation: "intradayBars", symbol, from, to }), []),
          quotes,
          snapshot: (market) =>
            Effect.map(quotes(fakeInstruments.filter((i) => i.market === market).map((i) => i.symbol)), (qs) => ({ quotes: qs, expected: qs.length })),
          moneyFlow: () => Effect.fail(unsupported("fake", "moneyFlow"))
        })
        // The fake is its own router: one provider, asked directly.
        const router = SourceRouter.of({
          health: Effect.succeed([]),
          plan: () => Effect.succeed(["fake"]),
          dailyBarsExcluding: () => Effect.fail(notFound("dailyBars", "any other provider (there is none)")),
          listings: Effect.map(Effect.result(source.instruments), (result) => [{ source: "fake", markets: new Set(["CN", "US"] as const), result }])
        })
        return Context.make(MarketDataSource, source).pipe(
          Context.add(SourceRouter, router),
          Context.add(FakeSource, FakeSource.of({ calls }))
        )
      })
    )
}
