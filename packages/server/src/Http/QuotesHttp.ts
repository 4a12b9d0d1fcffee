import { MarketgateApi } from "@marketgate/domain/Api"
import { Quote } from "@marketgate/domain/Quote"
import { Effect } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { MarketData } from "../MarketData/MarketData.ts"
import { jsonEncoder, joinJson } from "./EncodedJson.ts"

export const QuotesHttp = HttpApiBuilder.group(
  MarketgateApi,
  "quotes",
  Effect.fn(function*(handlers) {
    const marketData = yield* MarketData
    // Each cached quote keeps its own JSON; an answer joins them.
    const quote = jsonEncoder(Quote)
    return handlers.handle("list", ({ query }) =>
      marketData.quotes(query.symbols).pipe(
        Effect.flatMap(({ missing, quotes }) =>
          Effect.map(Effect.forEach(quotes, quote.bytes), (parts) =>
            // Missing entries are built from symbols and fixed sentences; JSON.stringify escapes them.
            joinJson(`{"quotes":[`, parts, `],"missing":${JSON.stringify(missing)}}`))
        ),
        Effect.map((body) => HttpServerResponse.uint8Array(body, { contentType: "application/json" }))
      ))
  })
)
