import { MarketgateApi } from "@marketgate/domain/Api"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { MarketData } from "../MarketData/MarketData.ts"

export const QuotesHttp = HttpApiBuilder.group(
  MarketgateApi,
  "quotes",
  Effect.fn(function*(handlers) {
    const marketData = yield* MarketData
    return handlers.handle("list", ({ query }) =>
      Effect.map(marketData.quotes(query.symbols), (quotes) => ({ quotes })))
  })
)
