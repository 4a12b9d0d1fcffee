import type { IsoDate } from "@marketgate/domain/CalendarDate"
import type { Quote } from "@marketgate/domain/Quote"
import { codeOf, exchangeOf, type Symbol } from "@marketgate/domain/Symbol"
import { Clock, Config, Effect, Layer, Option, Result } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { cnQuote } from "../HttpProvider/ChinaQuote.ts"
import { badResponse, type CallInfo, decodeJson, fetchText, notFound, outsideMarkets } from "../HttpProvider/ProviderHttp.ts"
import { cnListingOf } from "@marketgate/domain/ChinaBoards"
import { makeInstrument } from "@marketgate/domain/Instrument"
import type { Market } from "@marketgate/domain/Symbol"
import { MarketDataSource, type SourceDailyBar, type SourceError, unsupported } from "../MarketDataSource.ts"
import { clist, clistSnapshot } from "./EastmoneyClist.ts"
import { moneyFlowTop } from "./EastmoneyMoneyFlow.ts"
import { figure, KlineResponse, parseKline, type QuoteData, QuoteResponse } from "./EastmoneySchemas.ts"

export const NAME = "eastmoney"
/** Daily klines live on push2his, quotes on push2. */
export const DEFAULT_KLINE_BASE_URL = "https://push2his.eastmoney.com"
export const DEFAULT_QUOTE_BASE_URL = "https://push2.eastmoney.com"

export interface EastmoneyOptions {
  /** One host for both klines and quotes (a replay server, a proxy). */
  readonly baseUrl: string
}

interface Bases {
  readonly klines: string
  readonly quotes: string
}

const QUOTE_CONCURRENCY = 4
const CN_ONLY = "CN listings (SH, SZ)"

/** Eastmoney's market id: 1 Shanghai, 0 Shenzhen. */
const secid = (symbol: Symbol) => `${exchangeOf(symbol) === "SH" ? 1 : 0}.${codeOf(symbol)}`
const compact = (date: IsoDate) => date.replaceAll("-", "")

const makeWith = (bases: Bases) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const klineBase = bases.klines.replace(/\/+$/, "")
    const quoteBase = bases.quotes.replace(/\/+$/, "")

    const dailyBars = Effect.fn("EastmoneySource.dailyBars")(function*(symbol: Symbol, from: IsoDate, to: IsoDate) {
      yield* Effect.annotateCurrentSpan({ "datasource.name": NAME, symbol, from, to })
      const call: CallInfo = { source: NAME, operation: "dailyBars", symbol }
      if (exchangeOf(symbol) === "US") return yield* outsideMarkets(call, CN_ONLY)
      const body = yield* fetchText(
        client,
        HttpClientRequest.get(`${klineBase}/api/qt/stock/kline/get`, {
          // klt=101 daily; fqt=0 as traded (no adjustment, and so no corporate actions to report).
          urlParams: {
            secid: secid(symbol),
            klt: "101",
            fqt: "0",
            beg: compact(from),
            end: compact(to),
            fields1: "f1,f2,f3,f4,f5,f6",
            fields2: "f51,f52,f53,f54,f55,f56,f57,f58,f59,f60,f61"
          },
          acceptJson: true
        }),
        call
      ).pipe(Effect.flatMap(decodeJson(KlineResponse, call)))
      if (body.data == null) return yield* notFound(call, symbol)
      if (body.data.code !== codeOf(symbol)) return yield* badResponse(call, `klines are for ${body.data.code}`)
      const bars: Array<SourceDailyBar> = []
      for (const line of body.data.klines) {
        const row = parseKline(line)
        if (Result.isFailure(row)) return yield* badResponse(call, row.failure)
        const { date, open, close, high, low, lots, amount } = row.success
        if (date >= from && date <= to) bars.push({ date, open, high, low, close, volume: lots * 100, amount })
      }
      return { bars, actions: [] }
    })

    /** One symbol's quote fields, or undefined when Eastmoney does not know it. */
    const quoteData = (symbol: Symbol, call: CallInfo): Effect.Effect<QuoteData | undefined, SourceError> =>
      fetchText(
        client,
        HttpClientRequest.get(`${quoteBase}/api/qt/stock/get`, {
          // fltt=2: prices as decimals rather than integers scaled by 10^decimals.
          urlParams: { secid: secid(symbol), fltt: "2", fields: "f43,f44,f45,f46,f47,f48,f57,f58,f60,f86,f170" },
          acceptJson: true
        }),
        { ...call, symbol }
      ).pipe(
        Effect.flatMap(decodeJson(QuoteResponse, { ...call, symbol })),
        Effect.flatMap((body) =>
          body.data == null
            ? Effect.succeed(undefined)
            : body.data.f57 !== codeOf(symbol)
            ? badResponse({ ...call, symbol }, `the quote is for ${body.data.f57}`)
            : Effect.succeed(body.data)
        ),
        Effect.catchIf((e) => e.reason === "NotFound", () => Effect.succeed(undefined))
      )

    const quoteOf = (symbol: Symbol, call: CallInfo): Effect.Effect<Quote | undefined, SourceError> =>
      Effect.flatMap(quoteData(symbol, call), (data) =>
        data === undefined ? Effect.succeed(undefined) : Effect.map(Clock.currentTimeMillis, (now) => toQuote(symbol, data, now)))

    /** Discovery: the quote names the listing; its code says the board. */
    const instrument = Effect.fn("EastmoneySource.instrument")(function*(symbol: Symbol) {
      yield* Effect.annotateCurrentSpan({ "datasource.name": NAME, symbol })
      const call: CallInfo = { source: NAME, operation: "instrument", symbol }
      const exchange = exchangeOf(symbol)
      if (exchange === "US") return yield* outsideMarkets(call, CN_ONLY)
      const listing = cnListingOf(codeOf(symbol), exchange)
      const data = listing === undefined ? undefined : yield* quoteData(symbol, call)
      if (listing === undefined || data === undefined) return yield* notFound(call, symbol)
      return makeInstrument(codeOf(symbol), exchange, data.f58.replace(/\s+/g, ""), listing.board, null, null, listing.kind)
    })

    const instruments = clist(client, quoteBase, { source: NAME, operation: "instruments", symbol: "the A-share and ETF lists" }).pipe(
      Effect.map(({ expected, rows }) => ({ instruments: rows.map((r) => r.instrument), complete: rows.length >= expected })),
      Effect.withSpan("EastmoneySource.instruments", { attributes: { "datasource.name": NAME } })
    )

    const snapshot = Effect.fn("EastmoneySource.snapshot")(function*(market: Market) {
      yield* Effect.annotateCurrentSpan({ "datasource.name": NAME, market })
      const call: CallInfo = { source: NAME, operation: "snapshot", symbol: `the ${market} market` }
      if (market !== "CN") return yield* outsideMarkets(call, CN_ONLY)
      return yield* clistSnapshot(client, quoteBase, call)
    })

    const moneyFlow = Effect.fn("EastmoneySource.moneyFlow")(function*(market: Market) {
      yield* Effect.annotateCurrentSpan({ "datasource.name": NAME, market })
      const call: CallInfo = { source: NAME, operation: "moneyFlow", symbol: `the ${market} money-flow ranking` }
      if (market !== "CN") return yield* outsideMarkets(call, CN_ONLY)
      return yield* moneyFlowTop(client, quoteBase, call)
    })

    const quotes = Effect.fn("EastmoneySource.quotes")(function*(symbols: ReadonlyArray<Symbol>) {
      yield* Effect.annotateCurrentSpan({ "datasource.name": NAME, symbol: symbols.join(",") })
      if (symbols.length === 0) return []
      const call: CallInfo = { source: NAME, operation: "quotes", symbol: symbols.join(",") }
      if (symbols.some((s) => exchangeOf(s) === "US")) return yield* outsideMarkets(call, CN_ONLY)
      const found = yield* Effect.forEach(symbols, (s) => quoteOf(s, call), { concurrency: QUOTE_CONCURRENCY })
      const out = found.filter((q): q is Quote => q !== undefined)
      if (out.length === 0) return yield* notFound(call, symbols.join(", "))
      return out
    })

    return MarketDataSource.of({
      name: NAME,
      capabilities: { operations: new Set(["instruments", "instrument", "dailyBars", "quotes", "snapshot", "moneyFlow"]), markets: new Set(["CN"]) },
      instruments,
      instrument,
      dailyBars,
      intradayBars: () => Effect.fail(unsupported(NAME, "intradayBars")),
      quotes,
      snapshot,
      moneyFlow
    })
  })

/**
 * Open, volume and amount (f46, f47, f48) may be absent (the recorded answer
 * has none) or "-": open then falls back to the price, volume and amount to 0.
 * Without f86 the quote is stamped with the time it was fetched.
 */
const toQuote = (symbol: Symbol, d: QuoteData, now: number): Quote => {
  const price = figure(d.f43) ?? 0
  return cnQuote({
    symbol,
    name: d.f58,
    price,
    prevClose: d.f60,
    open: figure(d.f46) ?? price,
    high: figure(d.f44) ?? price,
    low: figure(d.f45) ?? price,
    volume: (figure(d.f47) ?? 0) * 100,
    amount: figure(d.f48) ?? 0,
    ts: d.f86 === undefined ? now : d.f86 * 1000
  })
}

export const make = (options: EastmoneyOptions) => makeWith({ klines: options.baseUrl, quotes: options.baseUrl })

/** Klines and quotes from `baseUrl`. */
export const layer = (options: EastmoneyOptions) => Layer.effect(MarketDataSource, make(options))

/** `SOURCE_EASTMONEY_BASE_URL` overrides both hosts; unset, each path goes to its production host. */
export const layerConfig = Layer.effect(
  MarketDataSource,
  Effect.flatMap(Config.option(Config.URL("SOURCE_EASTMONEY_BASE_URL")), (url) =>
    Option.match(url, {
      onNone: () => makeWith({ klines: DEFAULT_KLINE_BASE_URL, quotes: DEFAULT_QUOTE_BASE_URL }),
      onSome: (u) => make({ baseUrl: String(u) })
    }))
)
