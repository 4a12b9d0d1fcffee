import { MarketgateApi } from "@marketgate/domain/Api"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Readiness } from "./Readiness.ts"

export const SystemHttp = HttpApiBuilder.group(
  MarketgateApi,
  "system",
  Effect.fn(function*(handlers) {
    const readiness = yield* Readiness
    return handlers
      .handle("health", () => Effect.succeed({ status: "ok" as const }))
      .handle("ready", () => Effect.map(readiness.check, (checks) => ({ status: "ready" as const, checks })))
  })
)
