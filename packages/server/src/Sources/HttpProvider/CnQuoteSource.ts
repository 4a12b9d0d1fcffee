import { exchangeOf, type Symbol } from "@marketgate/domain/Symbol"
import { Effect, Layer, type Result } from "effect"
import { HttpClient, type HttpClientRequest } from "effect/http"
import { MarketDataSource, unsupported } from "../MarketDataSource.ts"
import { type CodeQuote, prefixedCode } from "./ChinaQuote.ts"
import { lineQuotes } from "./LineQuotes.ts"
import { baseUrlConfig, type CallInfo, outsideMarkets } from "./ProviderHttp.ts"

/** What tells one GBK quote-line provider (Sina, Tencent) from another. */
export interface CnQuoteProvider {
  readonly name: string
  /** The request for some `sh600519`-style codes, under the base URL. */
  readonly request: (base: string, codes: ReadonlyArray<string>) => HttpClientRequest.HttpClientRequest
  readonly parseLine: (line: string) => Result.Result<CodeQuote | undefined, string>
}

/** A provider that only offers A-share quotes, as one GBK line per code. */
export const makeCnQuoteSource = (provider: CnQuoteProvider, options: { readonly baseUrl: string }) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const base = options.baseUrl.replace(/\/+$/, "")
    const { name } = provider

    const quotes = Effect.fn(`${name}.quotes`)(function*(symbols: ReadonlyArray<Symbol>) {
      yield* Effect.annotateCurrentSpan({ "datasource.name": name, symbol: symbols.join(",") })
      const unique = [...new Set(symbols)]
      if (unique.length === 0) return []
      const call: CallInfo = { source: name, operation: "quotes", symbol: unique.join(",") }
      if (unique.some((s) => exchangeOf(s) === "US")) return yield* outsideMarkets(call, "CN listings (SH, SZ)")
      return yield* lineQuotes(client, provider.request(base, unique.map(prefixedCode)), call, unique, provider.parseLine)
    })

    return MarketDataSource.of({
      name,
      capabilities: { operations: new Set(["quotes"]), markets: new Set(["CN"]) },
      instruments: Effect.fail(unsupported(name, "instruments")),
      instrument: () => Effect.fail(unsupported(name, "instrument")),
      dailyBars: () => Effect.fail(unsupported(name, "dailyBars")),
      intradayBars: () => Effect.fail(unsupported(name, "intradayBars")),
      quotes,
      snapshot: () => Effect.fail(unsupported(name, "snapshot")),
      moneyFlow: () => Effect.fail(unsupported(name, "moneyFlow"))
    })
  })

export const cnQuoteLayers = (provider: CnQuoteProvider, defaultUrl: string) => ({
  layer: (options: { readonly baseUrl: string }) => Layer.effect(MarketDataSource, makeCnQuoteSource(provider, options)),
  layerConfig: Layer.effect(
    MarketDataSource,
    Effect.flatMap(baseUrlConfig(provider.name, defaultUrl), (baseUrl) => makeCnQuoteSource(provider, { baseUrl }))
  )
})
