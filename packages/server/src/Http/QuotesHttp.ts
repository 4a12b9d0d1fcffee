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
        Effect.flatMap((quotes) => Effect.forEach(quotes, quote.bytes)),
        Effect.map((parts) =>
          HttpServerResponse.uint8Array(joinJson(`{"quotes":[`, parts, "]}"), { contentType: "application/json" })
        )
      ))
  })
)
