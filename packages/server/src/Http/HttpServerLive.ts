import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { MarketgateApi } from "@marketgate/domain/Api"
import { Config, Effect, Layer } from "effect"
import { HttpRouter } from "effect/http"
import { HttpApiBuilder, HttpApiScalar } from "effect/http-api"
import { createServer } from "node:http"
import * as AdminAuth from "./AdminAuth.ts"
import { AdminHttp } from "./AdminHttp.ts"
import { LineageHttp } from "./LineageHttp.ts"
import { BarsHttp } from "./BarsHttp.ts"
import { HttpMetrics } from "./HttpMetrics.ts"
import { IndicatorsHttp } from "./IndicatorsHttp.ts"
import { InstrumentsHttp } from "./InstrumentsHttp.ts"
import { MetricsRoute, NotFoundRoutes } from "./OperationalRoutes.ts"
import { QuotesHttp } from "./QuotesHttp.ts"
import { Readiness } from "./Readiness.ts"
import { requestEnvelope } from "./RequestEnvelope.ts"
import { SourcesHttp } from "./SourcesHttp.ts"
import { SystemHttp } from "./SystemHttp.ts"
import { closeStreamsFirst, StreamHttp } from "../Streaming/StreamHttp.ts"
import { WebRoutes } from "../Web/WebRoutes.ts"

const ApiRoutes = HttpApiBuilder.layer(MarketgateApi, { openapiPath: "/openapi.json" }).pipe(
  Layer.provide([InstrumentsHttp, QuotesHttp, BarsHttp, IndicatorsHttp, SourcesHttp, LineageHttp, AdminHttp, SystemHttp, StreamHttp]),
  Layer.provide(AdminAuth.layerConfig)
)

/** Every route, each wrapped by the request envelope middleware. */
export const Routes = Layer.mergeAll(
  ApiRoutes,
  HttpApiScalar.layer(MarketgateApi, { path: "/docs" }),
  MetricsRoute,
  WebRoutes,
  NotFoundRoutes
).pipe(Layer.provide(requestEnvelope.layer), Layer.provide([HttpMetrics.layer, Readiness.layer]))

/**
 * The app served over HTTP. The pass-through middleware makes the server open
 * a span per request (and so a trace id) even without an exporter; the
 * built-in request logger is off because the envelope middleware logs.
 */
export const serve = <E, R>(routes: Layer.Layer<never, E, R>) =>
  HttpRouter.serve(routes, { disableLogger: true, middleware: (app) => app })

export const layerConfig = Layer.unwrap(
  Effect.gen(function*() {
    const port = yield* Config.Port("PORT").pipe(Config.withDefault(8080))
    const host = yield* Config.String("HOST").pipe(Config.withDefault("0.0.0.0"))
    // closeStreamsFirst is built after the server, so it is released (streams ended) before the server drains.
    return closeStreamsFirst.pipe(
      Layer.provide(serve(Routes)),
      Layer.provide(NodeHttpServer.layer(createServer, { port, host }))
    )
  })
)
