import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { MetricsAccess } from "../Auth/MetricsAccess.ts"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"

/** Prometheus text format of every metric of this instance. */
export const MetricsRoute = HttpRouter.use((router) =>
  Effect.gen(function*() {
    const { registry } = yield* MetricsRegistry
    const access = yield* MetricsAccess
    yield* router.add(
      "GET",
      "/metrics",
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
        const refusal = access.refusal(request)
        if (refusal !== undefined) return Effect.succeed(HttpServerResponse.jsonUnsafe({ message: refusal }, { status: 401 }))
        return Effect.promise(() => registry.metrics()).pipe(
          Effect.map((text) => HttpServerResponse.text(text, { contentType: registry.contentType }))
        )
      })
    )
  })
)

const notFound = Effect.map(HttpServerRequest.HttpServerRequest, (request) =>
  HttpServerResponse.jsonUnsafe(
    { message: `no endpoint ${request.method} ${request.url.split("?")[0]}; the API is described at /docs` },
    { status: 404 }
  ))

/**
 * Paths that match no route never reach route middleware; these catch-alls
 * make them answer (and be counted) like any other route.
 */
export const NotFoundRoutes = Layer.mergeAll(
  HttpRouter.add("*", "/v1/*", notFound),
  HttpRouter.add("*", "/*", notFound)
)
