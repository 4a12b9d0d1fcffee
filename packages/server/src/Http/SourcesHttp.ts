import { MarketgateApi } from "@marketgate/domain/Api"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { SourceRouter } from "../Sources/SourceRouter.ts"

export const SourcesHttp = HttpApiBuilder.group(
  MarketgateApi,
  "sources",
  Effect.fn(function*(handlers) {
    const router = yield* SourceRouter
    return handlers.handle("list", () => Effect.map(router.health, (sources) => ({ sources })))
  })
)
