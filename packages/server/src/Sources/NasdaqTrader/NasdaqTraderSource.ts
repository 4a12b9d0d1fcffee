import { Effect, Layer, Result } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { badResponse, baseUrlConfig, type CallInfo, fetchText } from "../HttpProvider/ProviderHttp.ts"
import { type InstrumentListing, MarketDataSource, unsupported } from "../MarketDataSource.ts"
import { type DirectoryFile, parseSymbolDirectory } from "./SymbolDirectory.ts"

export const NAME = "nasdaqtrader"
export const DEFAULT_BASE_URL = "https://www.nasdaqtrader.com"

/** The US listing: every Nasdaq, NYSE, NYSE American, NYSE Arca, Cboe and IEX listing, from two files a day. */
export const make = (options: { readonly baseUrl: string }) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const base = options.baseUrl.replace(/\/+$/, "")

    const directory = (file: DirectoryFile) => {
      const call: CallInfo = { source: NAME, operation: "instruments", symbol: `${file}.txt` }
      return fetchText(client, HttpClientRequest.get(`${base}/dynamic/SymDir/${file}.txt`), call).pipe(
        Effect.flatMap((text) =>
          Result.match(parseSymbolDirectory(text, file), { onSuccess: Effect.succeed, onFailure: (why) => badResponse(call, why) })
        )
      )
    }

    const instruments = Effect.all([directory("nasdaqlisted"), directory("otherlisted")], { concurrency: 2 }).pipe(
      Effect.map(([nasdaq, other]): InstrumentListing => {
        // A symbol in both files (rare, during a transfer): the Nasdaq file's row.
        const seen = new Set(nasdaq.instruments.map((i) => i.symbol))
        return { instruments: [...nasdaq.instruments, ...other.instruments.filter((i) => !seen.has(i.symbol))], complete: true }
      }),
      Effect.withSpan("NasdaqTraderSource.instruments", { attributes: { "datasource.name": NAME } })
    )

    return MarketDataSource.of({
      name: NAME,
      capabilities: { operations: new Set(["instruments"]), markets: new Set(["US"]) },
      instruments,
      instrument: () => Effect.fail(unsupported(NAME, "instrument")),
      dailyBars: () => Effect.fail(unsupported(NAME, "dailyBars")),
      intradayBars: () => Effect.fail(unsupported(NAME, "intradayBars")),
      quotes: () => Effect.fail(unsupported(NAME, "quotes")),
      snapshot: () => Effect.fail(unsupported(NAME, "snapshot")),
      moneyFlow: () => Effect.fail(unsupported(NAME, "moneyFlow"))
    })
  })

export const layer = (options: { readonly baseUrl: string }) => Layer.effect(MarketDataSource, make(options))

/** `SOURCE_NASDAQTRADER_BASE_URL` overrides the host. */
export const layerConfig = Layer.effect(MarketDataSource, Effect.flatMap(baseUrlConfig(NAME, DEFAULT_BASE_URL), (baseUrl) => make({ baseUrl })))
