import { MarketgateApi } from "@marketgate/domain/Api"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { InstrumentCatalog } from "../Instruments/InstrumentCatalog.ts"

export const InstrumentsHttp = HttpApiBuilder.group(
  MarketgateApi,
  "instruments",
  Effect.fn(function*(handlers) {
    const catalog = yield* InstrumentCatalog
    return handlers
      .handle("list", ({ query }) =>
        catalog.search({ market: query.market, kind: query.kind, q: query.q, limit: query.limit ?? 100, offset: query.offset ?? 0 }))
      .handle("get", ({ params }) => catalog.lookup(params.symbol))
  })
)
