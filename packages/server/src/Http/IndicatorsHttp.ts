import { MarketgateApi } from "@marketgate/domain/Api"
import { IndicatorSeries } from "@marketgate/domain/Indicator"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { MarketData } from "../MarketData/MarketData.ts"
import { jsonEncoder } from "./EncodedJson.ts"

export const IndicatorsHttp = HttpApiBuilder.group(
  MarketgateApi,
  "indicators",
  Effect.fn(function*(handlers) {
    const marketData = yield* MarketData
    const json = jsonEncoder(IndicatorSeries)
    return handlers.handle("get", ({ params, query }) =>
      marketData.indicator(params.symbol, {
        name: query.name,
        period: query.period,
        interval: query.interval ?? "1d",
        from: query.from,
        to: query.to,
        adjust: query.adjust ?? "none"
      }).pipe(Effect.flatMap(json.response)))
  })
)
