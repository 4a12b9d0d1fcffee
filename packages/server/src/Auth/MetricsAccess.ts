import { Context, Effect, Layer, Option, Redacted } from "effect"
import type { HttpServerRequest } from "effect/http"
import { AuthSettings } from "./AuthSettings.ts"
import { sameSecret } from "./Digests.ts"

/**
 * Who may read GET /metrics: with METRICS_TOKEN set, a scraper presenting it
 * as a bearer token; without it, anyone while anonymous reads are allowed
 * (the embedded default), nobody otherwise (docs/security.md).
 */
export class MetricsAccess extends Context.Service<MetricsAccess, {
  /** undefined: allowed; else the sentence of the 401. */
  readonly refusal: (request: HttpServerRequest.HttpServerRequest) => string | undefined
}>()("@marketgate/server/Auth/MetricsAccess") {
  static readonly layer = Layer.effect(
    MetricsAccess,
    Effect.gen(function*() {
      const settings = yield* AuthSettings
      const token = settings.metricsToken
      return MetricsAccess.of({
        refusal: (request) => {
          if (Option.isNone(token)) {
            return settings.anonymousAccess ? undefined : "metrics need METRICS_TOKEN: set it on the service and scrape with Authorization: Bearer <METRICS_TOKEN>"
          }
          const header = request.headers.authorization ?? ""
          const presented = header.slice(0, 7).toLowerCase() === "bearer " ? header.slice(7).trim() : ""
          return sameSecret(presented, Redacted.value(token.value)) ? undefined : "metrics need Authorization: Bearer <METRICS_TOKEN>"
        }
      })
    })
  )
}
