import { localTimeToEpochMs } from "@marketgate/domain/calendar/ZonedTime"
import { fromDayNumber, type IsoDate, toDayNumber } from "@marketgate/domain/CalendarDate"
import type { IntradayInterval } from "@marketgate/domain/Interval"
import type { Quote, TradingStatus } from "@marketgate/domain/Quote"
import type { Symbol } from "@marketgate/domain/Symbol"
import { Clock, Effect, Layer, Result, Schema } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { badResponse, baseUrlConfig, type CallInfo, decodeJson, fetchText, notFound } from "../HttpProvider/ProviderHttp.ts"
import { MarketDataSource, type SourceError, type SourceIntradayBar, unsupported } from "../MarketDataSource.ts"
import { asTradedBars, chartRows, corporateActions, splitEvents } from "./YahooChart.ts"
import { ChartResponse, type ChartResult, QuoteResponse, QuoteStub, YahooDescription, YahooQuote } from "./YahooSchemas.ts"
import { describeListing, fromYahoo, toYahoo, zoneOf } from "./YahooSymbols.ts"

export const NAME = "yahoo"
export const DEFAULT_BASE_URL = "https://query1.finance.yahoo.com"

export interface YahooOptions {
  readonly baseUrl: string
}

const round2 = (x: number) => Math.round(x * 100) / 100
const unixSeconds = (ms: number) => String(Math.floor(ms / 1000))
const startOfDay = (date: IsoDate, zone: string) => localTimeToEpochMs(date, "00:00", zone)
const nextDay = (date: IsoDate) => fromDayNumber(toDayNumber(date) + 1)

const statusOf = (marketState: string): TradingStatus =>
  marketState === "REGULAR" ? "open" : marketState === "PRE" ? "pre_open" : "closed" // CLOSED, POST, POSTPOST, PREPRE …

const toQuote = (symbol: Symbol, q: YahooQuote): Quote => ({
  symbol,
  name: q.longName ?? q.shortName ?? q.symbol,
  price: q.regularMarketPrice,
  open: q.regularMarketOpen,
  high: q.regularMarketDayHigh,
  low: q.regularMarketDayLow,
  prev_close: q.regularMarketPreviousClose,
  change: q.regularMarketChange,
  change_pct: q.regularMarketChangePercent,
  volume: q.regularMarketVolume,
  // Yahoo reports no turnover: volume × last price is an estimate.
  amount: round2(q.regularMarketVolume * q.regularMarketPrice),
  status: statusOf(q.marketState),
  ts: new Date(q.regularMarketTime * 1000).toISOString()
})

export const make = (options: YahooOptions) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const base = options.baseUrl.replace(/\/+$/, "")

    const chart = (call: CallInfo, symbol: Symbol, urlParams: Record<string, string>) =>
      fetchText(
        client,
        HttpClientRequest.get(`${base}/v8/finance/chart/${encodeURIComponent(toYahoo(symbol))}`, { urlParams, acceptJson: true }),
        call
      ).pipe(
        Effect.flatMap(decodeJson(ChartResponse, call)),
        Effect.flatMap(({ chart }): Effect.Effect<ChartResult, SourceError> => {
          if (chart.error != null) {
            return chart.error.code === "Not Found"
              ? notFound(call, symbol)
              : badResponse(call, `Yahoo error ${chart.error.code}: ${chart.error.description ?? ""}`)
          }
          const first = chart.result?.[0]
          return first === undefined ? badResponse(call, "empty result") : Effect.succeed(first)
        })
      )

    const rowsOf = (call: CallInfo, result: ChartResult, zone: string) =>
      Result.match(chartRows(result, zone), {
        onSuccess: Effect.succeed,
        onFailure: (what) => badResponse(call, what)
      })

    const dailyBars = Effect.fn("YahooSource.dailyBars")(function*(symbol: Symbol, from: IsoDate, to: IsoDate) {
      yield* Effect.annotateCurrentSpan({ "datasource.name": NAME, symbol, from, to })
      const call: CallInfo = { source: NAME, operation: "dailyBars", symbol }
      const zone = zoneOf(symbol)
      // Up to now, not `to`: Yahoo divides prices by every split up to the request
      // but lists only the splits inside the range, so the range must reach today.
      const period2 = Math.max(yield* Clock.currentTimeMillis, startOfDay(nextDay(to), zone))
      const result = yield* chart(call, symbol, {
        interval: "1d",
        period1: unixSeconds(startOfDay(from, zone)),
        period2: unixSeconds(period2),
        events: "div|split"
      })
      const resultZone = result.meta.exchangeTimezoneName ?? zone
      const rows = yield* rowsOf(call, result, resultZone)
      const splits = splitEvents(result, resultZone)
      return {
        bars: asTradedBars(rows.filter((r) => r.date >= from && r.date <= to), splits),
        actions: corporateActions(result, resultZone, splits, from, to)
      }
    })

    /** Bars as Yahoo reports them: intraday ranges are short, and they are not un-adjusted. */
    const intradayBars = Effect.fn("YahooSource.intradayBars")(
      function*(symbol: Symbol, interval: IntradayInterval, from: IsoDate, to: IsoDate) {
        yield* Effect.annotateCurrentSpan({ "datasource.name": NAME, symbol, interval, from, to })
        const call: CallInfo = { source: NAME, operation: "intradayBars", symbol }
        const zone = zoneOf(symbol)
        const result = yield* chart(call, symbol, {
          interval,
          period1: unixSeconds(startOfDay(from, zone)),
          period2: unixSeconds(startOfDay(nextDay(to), zone)),
          includePrePost: "false"
        })
        const rows = yield* rowsOf(call, result, result.meta.exchangeTimezoneName ?? zone)
        return rows
          .filter((r) => r.date >= from && r.date <= to)
          .map((r): SourceIntradayBar => ({
            ...r,
            // No turnover from Yahoo: volume × mean of OHLC is an estimate.
            amount: round2((r.volume * (r.open + r.high + r.low + r.close)) / 4)
          }))
      }
    )

    /** The v7 quote entries of the symbols asked about, by our symbol; "NONE" stubs left out like absent ones. */
    const quoteEntries = (call: CallInfo, symbols: ReadonlyArray<Symbol>) =>
      Effect.gen(function*() {
        const body = yield* fetchText(
          client,
          HttpClientRequest.get(`${base}/v7/finance/quote`, { urlParams: { symbols: symbols.map(toYahoo).join(",") }, acceptJson: true }),
          call
        ).pipe(Effect.flatMap(decodeJson(QuoteResponse, call)))
        const { error, result } = body.quoteResponse
        if (error != null) return yield* badResponse(call, `Yahoo error ${error.code}: ${error.description ?? ""}`)
        if (result == null) return yield* badResponse(call, "no result list")
        const entries: Array<readonly [Symbol, unknown]> = []
        for (const entry of result) {
          const stub = yield* Schema.decodeUnknownEffect(QuoteStub)(entry).pipe(
            Effect.catch((e) => badResponse(call, `a result entry has no symbol: ${e.message}`))
          )
          const symbol = fromYahoo(stub.symbol)
          // "NONE" entries are Yahoo's answer for a symbol it has no data for; omit, like an absent one.
          if (symbol === undefined || !symbols.includes(symbol) || stub.quoteType === "NONE") continue
          entries.push([symbol, entry])
        }
        return entries
      })

    const quotes = Effect.fn("YahooSource.quotes")(function*(symbols: ReadonlyArray<Symbol>) {
      yield* Effect.annotateCurrentSpan({ "datasource.name": NAME, symbol: symbols.join(",") })
      if (symbols.length === 0) return []
      const call: CallInfo = { source: NAME, operation: "quotes", symbol: symbols.join(",") }
      const out: Array<Quote> = []
      const incomplete: Array<string> = []
      for (const [symbol, entry] of yield* quoteEntries(call, symbols)) {
        // One entry without prices (a stub Yahoo sends for some symbols) costs only that symbol.
        const q = Schema.decodeUnknownResult(YahooQuote)(entry)
        if (q._tag === "Success") out.push(toQuote(symbol, q.success))
        else incomplete.push(`the quote of ${toYahoo(symbol)} is incomplete: ${q.failure.message}`)
      }
      if (out.length === 0 && incomplete.length > 0) return yield* badResponse(call, incomplete.join("; "))
      if (incomplete.length > 0) {
        yield* Effect.logWarning(`${NAME} quotes: left out incomplete entries`).pipe(
          Effect.annotateLogs({ source: NAME, operation: "quotes", incomplete: incomplete.join("; ").slice(0, 500) })
        )
      }
      if (out.length === 0) return yield* notFound(call, symbols.join(", "))
      return out
    })

    /** Discovery: Yahoo's quote entry names the symbol, says what it is and where it lists. */
    const instrument = Effect.fn("YahooSource.instrument")(function*(symbol: Symbol) {
      yield* Effect.annotateCurrentSpan({ "datasource.name": NAME, symbol })
      const call: CallInfo = { source: NAME, operation: "instrument", symbol }
      const [found] = yield* quoteEntries(call, [symbol])
      if (found === undefined) return yield* notFound(call, symbol)
      const described = Schema.decodeUnknownResult(YahooDescription)(found[1])
      if (described._tag === "Failure") return yield* badResponse(call, `the entry of ${toYahoo(symbol)} does not describe it: ${described.failure.message}`)
      const listing = describeListing(symbol, described.success)
      return listing === undefined ? yield* notFound(call, `${symbol} (Yahoo lists it as ${described.success.quoteType})`) : listing
    })

    return MarketDataSource.of({
      name: NAME,
      capabilities: { operations: new Set(["instrument", "dailyBars", "intradayBars", "quotes"]), markets: new Set(["CN", "US"]) },
      instruments: Effect.fail(unsupported(NAME, "instruments")),
      instrument,
      dailyBars,
      intradayBars,
      quotes,
      snapshot: () => Effect.fail(unsupported(NAME, "snapshot")),
      moneyFlow: () => Effect.fail(unsupported(NAME, "moneyFlow"))
    })
  })

/** Yahoo Finance's chart (v8) and quote (v7) endpoints under `baseUrl`. */
export const layer = (options: YahooOptions) => Layer.effect(MarketDataSource, make(options))

export const layerConfig = Layer.effect(
  MarketDataSource,
  Effect.flatMap(baseUrlConfig(NAME, DEFAULT_BASE_URL), (baseUrl) => make({ baseUrl }))
)
