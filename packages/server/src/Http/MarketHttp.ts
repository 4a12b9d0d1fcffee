import { MarketgateApi } from "@marketgate/domain/Api"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Overview } from "../MarketData/MarketOverview.ts"
import { DEFAULT_MONEY_FLOW_LIMIT, MoneyFlow } from "../MarketData/MoneyFlow.ts"

export const MarketHttp = HttpApiBuilder.group(
  MarketgateApi,
  "market",
  Effect.fn(function*(handlers) {
    const overview = yield* Overview
    const moneyFlow = yield* MoneyFlow
    return handlers
      .handle("overview", ({ query }) => overview.of(query.market))
      .handle("moneyflow", ({ query }) => moneyFlow.top(query.market, query.limit ?? DEFAULT_MONEY_FLOW_LIMIT))
  })
)
