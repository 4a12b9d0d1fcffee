import { MarketgateApi } from "@marketgate/domain/Api"
import { BarSeries } from "@marketgate/domain/Bar"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { MarketData } from "../MarketData/MarketData.ts"
import { jsonEncoder } from "./EncodedJson.ts"

export const BarsHttp = HttpApiBuilder.group(
  MarketgateApi,
  "bars",
  Effect.fn(function*(handlers) {
    const marketData = yield* MarketData
    const json = jsonEncoder(BarSeries)
    return handlers.handle("get", ({ params, query }) =>
      marketData.bars(params.symbol, {
        interval: query.interval ?? "1d",
        from: query.from,
        to: query.to,
        adjust: query.adjust ?? "none"
      }).pipe(Effect.flatMap(json.response)))
  })
)
