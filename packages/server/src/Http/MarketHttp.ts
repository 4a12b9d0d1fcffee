import { MarketgateApi } from "@marketgate/domain/Api"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Overview } from "../MarketData/MarketOverview.ts"

export const MarketHttp = HttpApiBuilder.group(
  MarketgateApi,
  "market",
  Effect.fn(function*(handlers) {
    const overview = yield* Overview
    return handlers.handle("overview", ({ query }) => overview.of(query.market))
  })
)
