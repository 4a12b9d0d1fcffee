import { DataUnavailable, InvalidRequest, NoData, type UnknownSymbol } from "@marketgate/domain/ApiErrors"
import { adjustDailyBars } from "@marketgate/domain/Adjustment"
import { BarSeries, type DailyBar } from "@marketgate/domain/Bar"
import { aggregateBars } from "@marketgate/domain/BarAggregation"
import { fromDayNumber } from "@marketgate/domain/CalendarDate"
import { type IndicatorName, IndicatorSeries, indicatorDefaults } from "@marketgate/domain/Indicator"
import { computeIndicator, effectiveParams, warmupBars } from "@marketgate/domain/indicators/ComputeIndicator"
import type { Instrument } from "@marketgate/domain/Instrument"
import { type Adjust, type Interval, isIntraday } from "@marketgate/domain/Interval"
import { type MissingQuote, Quote } from "@marketgate/domain/Quote"
import { exchangeOf, type Market, marketOf, type Symbol } from "@marketgate/domain/Symbol"
import { Clock, Context, Effect, Layer } from "effect"
import { codecOf } from "../Cache/CacheEntry.ts"
import { MarketCache } from "../Cache/MarketCache.ts"
import { Popularity } from "../Cache/Popularity.ts"
import { TradingCalendars } from "../Calendar/TradingCalendars.ts"
import { InstrumentCatalog } from "../Instruments/InstrumentCatalog.ts"
import { MarketDataSource, type SourceError } from "../Sources/MarketDataSource.ts"
import { DailyBarRepo } from "../Store/DailyBarRepo.ts"
import { barCount, ensureWithinLimit, type ResolvedRange, resolveRange, widenToPeriods } from "./BarRange.ts"
import { DailyHistory } from "./DailyHistory.ts"
import { IntradayHistory } from "./IntradayHistory.ts"

export interface BarsQuery {
  readonly interval: Interval
  readonly from?: string | undefined
  readonly to?: string | undefined
  readonly adjust: Adjust
}

export interface IndicatorQuery {
  readonly name: IndicatorName
  readonly period?: number | undefined
  readonly interval: Interval
  readonly from?: string | undefined
  readonly to?: string | undefined
  readonly adjust: Adjust
}

type ReadError = InvalidRequest | UnknownSymbol | NoData | DataUnavailable

/** The quotes found, and each requested symbol without one with its reason. */
export interface QuoteAnswer {
  readonly quotes: ReadonlyArray<Quote>
  readonly missing: ReadonlyArray<MissingQuote>
}

const barSeriesCodec = codecOf(BarSeries)
const quoteCodec = codecOf(Quote)
const indicatorCodec = codecOf(IndicatorSeries)

// Six decimals is below any price tick and keeps float noise out of the JSON.
const rounded = (row: Record<string, number | null>) =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? null : Math.round(v * 1e6) / 1e6]))

/**
 * The read path behind the REST API: validate against the catalog and the
 * calendar, answer from the cache, else from the store, else from the provider.
 */
export class MarketData extends Context.Service<MarketData, {
  readonly bars: (symbol: Symbol, query: BarsQuery) => Effect.Effect<BarSeries, ReadError>
  /** Fails only when no symbol has a quote: NoData when none exists, DataUnavailable when providers failed. */
  readonly quotes: (symbols: ReadonlyArray<Symbol>) => Effect.Effect<QuoteAnswer, NoData | DataUnavailable>
  readonly indicator: (symbol: Symbol, query: IndicatorQuery) => Effect.Effect<IndicatorSeries, ReadError>
}>()("@marketgate/server/MarketData/MarketData") {
  static readonly layer = Layer.effect(
    MarketData,
    Effect.gen(function*() {
      const catalog = yield* InstrumentCatalog
      const calendars = yield* TradingCalendars
      const history = yield* DailyHistory
      const intraday = yield* IntradayHistory
      const repo = yield* DailyBarRepo
      const source = yield* MarketDataSource
      const cache = yield* MarketCache
      const popularity = yield* Popularity

      // qfq scales history to the latest factor; if the store cannot say, the range's own last bar does.
      const latestFactor = (symbol: string, daily: ReadonlyArray<DailyBar>) =>
        repo.latestAdjFactor(symbol).pipe(Effect.orElseSucceed(() => daily.at(-1)?.adjFactor ?? 1))

      const adjusted = (instrument: Instrument, range: ResolvedRange, adjust: Adjust) =>
        Effect.gen(function*() {
          const { bars: daily, rescaled } = yield* history.sessions(instrument, range.from, range.to)
          // New corporate actions rescaled the stored bars: every cached series of the symbol is stale.
          if (rescaled) yield* cache.invalidatePrefix("daily", instrument.symbol)
          if (adjust === "none") return adjustDailyBars(daily, adjust, 1)
          const factor = adjust === "qfq" ? yield* latestFactor(instrument.symbol, daily) : 1
          // Volume follows the splits (docs/api.md); without the store's actions it stays as traded.
          const actions = yield* repo.actions(instrument.symbol).pipe(Effect.orElseSucceed(() => []))
          const splits = actions.filter((a) => a.kind === "split").map((a) => ({ exDate: a.exDate, ratio: a.factor }))
          return adjustDailyBars(daily, adjust, factor, splits)
        })

      const periodBars = (instrument: Instrument, interval: "1d" | "1w" | "1M", range: ResolvedRange, adjust: Adjust) =>
        interval === "1d"
          ? adjusted(instrument, range, adjust)
          : Effect.map(adjusted(instrument, widenToPeriods(range, interval), adjust), (d) => aggregateBars(d, interval))

      const bars = Effect.fn("MarketData.bars")(function*(symbol: Symbol, query: BarsQuery) {
        const instrument = yield* catalog.lookup(symbol)
        popularity.touch(symbol)
        const calendar = calendars.of(instrument.exchange)
        const now = yield* Clock.currentTimeMillis
        const range = yield* resolveRange(calendar, now, query.from, query.to)
        if (isIntraday(query.interval) && query.adjust !== "none") {
          return yield* new InvalidRequest({
            message: "adjust applies to 1d, 1w and 1M bars; intraday bars are served as traded, use adjust=none"
          })
        }
        yield* ensureWithinLimit(barCount(calendar, instrument, query.interval, range, now))
        const from = fromDayNumber(range.from)
        const to = fromDayNumber(range.to)
        const interval = query.interval
        const key = `${symbol}:${interval}:${from}:${to}:${query.adjust}`
        const load = isIntraday(interval)
          ? intraday.bars(instrument, interval, range.from, range.to)
          : periodBars(instrument, interval as "1d" | "1w" | "1M", range, query.adjust)
        return yield* cache.getOrLoad(
          { kind: isIntraday(interval) ? "intraday" : "daily", key, codec: barSeriesCodec },
          Effect.map(load, (list): BarSeries => ({ symbol, interval, adjust: query.adjust, from, to, bars: list })),
          // "No provider has it" is remembered briefly, so it is not asked again on every request.
          { negative: (e) => e._tag === "NoData" }
        )
      })

      const quotes = Effect.fn("MarketData.quotes")(function*(symbols: ReadonlyArray<Symbol>) {
        const unique = [...new Set(symbols)]
        const missing = new Map<string, MissingQuote>()
        const known: Array<Symbol> = []
        for (const symbol of unique) {
          const found = yield* Effect.result(catalog.lookup(symbol))
          if (found._tag === "Success") known.push(symbol)
          else {
            const reason = found.failure._tag === "UnknownSymbol" ? "not_found" : "unavailable"
            missing.set(symbol, { symbol, reason, msg: found.failure.message })
          }
        }
        for (const symbol of known) popularity.touch(symbol)
        // Each market is asked on its own: one market's providers failing costs only its symbols.
        const failures = new Map<Market, SourceError>()
        const found = yield* cache.getOrLoadMany("quote", quoteCodec, known, (keys) =>
          Effect.gen(function*() {
            const byMarket = new Map<Market, Array<Symbol>>()
            for (const key of keys as ReadonlyArray<Symbol>) {
              const market = marketOf(exchangeOf(key))
              byMarket.set(market, [...(byMarket.get(market) ?? []), key])
            }
            const loaded = new Map<string, Quote>()
            yield* Effect.forEach([...byMarket], ([market, list]) =>
              Effect.match(source.quotes(list), {
                onSuccess: (qs) => { for (const q of qs) loaded.set(q.symbol, q) },
                onFailure: (error) => void failures.set(market, error)
              }), { concurrency: "unbounded", discard: true })
            return loaded
          }))
        for (const symbol of known) {
          if (found.has(symbol)) continue
          const failure = failures.get(marketOf(exchangeOf(symbol)))
          missing.set(symbol, failure === undefined || failure.reason === "NotFound"
            ? { symbol, reason: "not_found", msg: `no provider has a quote for ${symbol}` }
            : { symbol, reason: "unavailable", msg: `no provider could supply a quote for ${symbol} (${failure.message}); try again shortly` })
        }
        const answer: QuoteAnswer = {
          quotes: unique.flatMap((s) => found.get(s) ?? []),
          missing: unique.flatMap((s) => missing.get(s) ?? [])
        }
        if (answer.quotes.length > 0) return answer
        const msg = answer.missing.map((m) => m.msg).join("; ")
        return yield* (answer.missing.some((m) => m.reason === "unavailable") ? new DataUnavailable({ message: msg }) : new NoData({ message: msg }))
      })

      const indicator = Effect.fn("MarketData.indicator")(function*(symbol: Symbol, query: IndicatorQuery) {
        const instrument = yield* catalog.lookup(symbol)
        if (isIntraday(query.interval)) {
          return yield* new InvalidRequest({ message: "indicators are computed on 1d, 1w or 1M bars; use one of those intervals" })
        }
        if (query.name === "macd" && query.period !== undefined) {
          return yield* new InvalidRequest({ message: "macd uses the standard 12/26/9 periods; omit period" })
        }
        const interval = query.interval as "1d" | "1w" | "1M"
        const period = query.period ?? indicatorDefaults[query.name].period
        const calendar = calendars.of(instrument.exchange)
        const now = yield* Clock.currentTimeMillis
        const range = yield* resolveRange(calendar, now, query.from, query.to)
        yield* ensureWithinLimit(barCount(calendar, instrument, interval, range, now))
        const from = fromDayNumber(range.from)
        const to = fromDayNumber(range.to)
        // Keys start with the symbol, so invalidating a symbol's daily data covers its indicators.
        const key = `${symbol}:indicator:${query.name}:${period}:${interval}:${from}:${to}:${query.adjust}`
        return yield* cache.getOrLoad(
          { kind: "daily", key, codec: indicatorCodec },
          Effect.gen(function*() {
            // Warm-up history before `from`, so a value never depends on where the request starts.
            const warmup = warmupBars(query.name, period)
            const start = interval === "1d"
              ? calendar.sessionsBefore(range.from, warmup)
              : range.from - warmup * (interval === "1w" ? 7 : 31)
            const withHistory = yield* periodBars(instrument, interval, { from: start, to: range.to }, query.adjust)
            const traded = withHistory.filter((b) => !b.suspended)
            const rows = computeIndicator(query.name, traded.map((b) => b.close), period)
            // The bars /v1/bars answers for the same range: whole weeks and months that touch it.
            const shown = interval === "1d" ? range : widenToPeriods(range, interval)
            const first = fromDayNumber(shown.from)
            const last = fromDayNumber(shown.to)
            const points = traded.flatMap((b, i) =>
              b.date >= first && b.date <= last ? [{ date: b.date, values: rounded(rows[i]!) }] : []
            )
            return {
              symbol,
              name: query.name,
              params: effectiveParams(query.name, period),
              interval,
              adjust: query.adjust,
              from,
              to,
              points
            } satisfies IndicatorSeries
          })
        )
      })

      return MarketData.of({ bars, quotes, indicator })
    })
  )
}
