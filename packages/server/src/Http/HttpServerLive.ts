import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { FetchHttpClient, HttpServer } from "effect/http"
import { MarketgateApi } from "@marketgate/domain/Api"
import { Config, Effect, Layer } from "effect"
import { Headers, HttpRouter } from "effect/http"
import { HttpApiBuilder, HttpApiScalar } from "effect/http-api"
import { AccountsHttp } from "../Auth/AccountsHttp.ts"
import * as Authenticator from "../Auth/Authenticator.ts"
import { AuthHttp } from "../Auth/AuthHttp.ts"
import { OAuthHttp } from "../Auth/OAuthHttp.ts"
import { AdminHttp } from "./AdminHttp.ts"
import { AnswerCache } from "./AnswerCache.ts"
import { LineageHttp } from "./LineageHttp.ts"
import { MarketHttp } from "./MarketHttp.ts"
import { BarsHttp } from "./BarsHttp.ts"
import { HttpMetrics } from "./HttpMetrics.ts"
import { IndicatorsHttp } from "./IndicatorsHttp.ts"
import { InstrumentsHttp } from "./InstrumentsHttp.ts"
import { createServer } from "./NodeServer.ts"
import { MetricsRoute, NotFoundRoutes } from "./OperationalRoutes.ts"
import { QuotesHttp } from "./QuotesHttp.ts"
import { Readiness } from "./Readiness.ts"
import { requestEnvelope } from "./RequestEnvelope.ts"
import { SourcesHttp } from "./SourcesHttp.ts"
import { SystemHttp } from "./SystemHttp.ts"
import { closeStreamsFirst, StreamHttp } from "../Streaming/StreamHttp.ts"
import { WatchlistHttp } from "../Watchlist/WatchlistHttp.ts"
import { WebRoutes } from "../Web/WebRoutes.ts"

const ApiRoutes = HttpApiBuilder.layer(MarketgateApi, { openapiPath: "/openapi.json" }).pipe(
  Layer.provide([
    InstrumentsHttp,
    QuotesHttp,
    BarsHttp,
    IndicatorsHttp,
    MarketHttp,
    SourcesHttp,
    LineageHttp,
    AdminHttp,
    SystemHttp,
    AuthHttp,
    AccountsHttp,
    OAuthHttp,
    StreamHttp,
    WatchlistHttp
  ]),
  Layer.provide(Authenticator.layer)
)

/** Every route, each wrapped by the request envelope middleware. */
export const Routes = Layer.mergeAll(
  ApiRoutes,
  HttpApiScalar.layer(MarketgateApi, { path: "/docs" }),
  MetricsRoute,
  WebRoutes,
  NotFoundRoutes
).pipe(
  Layer.provide(requestEnvelope.layer.pipe(Layer.provide([AnswerCache.layer, Authenticator.layer]))),
  Layer.provide([HttpMetrics.layer, Readiness.layer])
)

/**
 * The app served over HTTP. The pass-through middleware makes the server open
 * a span per request (and so a trace id) even without an exporter; the
 * built-in request logger is off because the envelope middleware logs.
 */
export const serve = <E, R>(routes: Layer.Layer<never, E, R>) =>
  HttpRouter.serve(routes, { disableLogger: true, middleware: (app) => app }).pipe(
    // Spans record request headers: the CSRF token joins the credentials they never show.
    Layer.provide(Layer.succeed(Headers.CurrentRedactedNames, [...Headers.CurrentRedactedNames.defaultValue(), "x-csrf-token"]))
  )

export const layerConfig = Layer.unwrap(
  Effect.gen(function*() {
    const port = yield* Config.Port("PORT").pipe(Config.withDefault(8080))
    const host = yield* Config.String("HOST").pipe(Config.withDefault("0.0.0.0"))
    // How long SIGTERM waits for requests in flight; deployments size their stop timeouts above it.
    const drain = yield* Config.Duration("SHUTDOWN_DRAIN").pipe(Config.withDefault("20 seconds"))
    // closeStreamsFirst is built after the server, so it is released (streams ended) before the server drains.
    return closeStreamsFirst.pipe(
      Layer.provide(serve(Routes)),
      Layer.provide(NodeHttpServer.layer(createServer, { port, host, gracefulShutdownTimeout: drain }))
    )
  })
)

/** NodeHttpServer.layerTest with this server (its answer to requests Node's parser refuses) on a random loopback port. */
export const layerTest = HttpServer.layerTestClient.pipe(
  Layer.provide(Layer.fresh(FetchHttpClient.layer).pipe(Layer.provide(Layer.succeed(FetchHttpClient.RequestInit)({ keepalive: false })))),
  Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
)
