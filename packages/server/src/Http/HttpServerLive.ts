import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { FetchHttpClient, HttpServer } from "effect/http"
import { MarketgateApi } from "@marketgate/domain/Api"
import { Config, Duration, Effect, Layer, Schema } from "effect"
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
import { type ConnectionTimeouts, createServer, defaultConnectionTimeouts } from "./NodeServer.ts"
import { MetricsRoute, NotFoundRoutes } from "./OperationalRoutes.ts"
import { QuotesHttp } from "./QuotesHttp.ts"
import { requestDeadlineConfig } from "./RequestDeadline.ts"
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

const millis = (name: string, fallback: number) =>
  Config.Duration(name).pipe(
    Config.map(Duration.toMillis),
    Config.withDefault(fallback)
  )

/** HTTP_KEEP_ALIVE_TIMEOUT, HTTP_HEADERS_TIMEOUT, HTTP_REQUEST_TIMEOUT, HTTP_DISPATCH_SLICE (docs/configuration.md). */
export const connectionTimeouts: Config.Config<ConnectionTimeouts> = Config.all({
  keepAliveMs: millis("HTTP_KEEP_ALIVE_TIMEOUT", defaultConnectionTimeouts.keepAliveMs),
  headersMs: millis("HTTP_HEADERS_TIMEOUT", defaultConnectionTimeouts.headersMs),
  requestMs: millis("HTTP_REQUEST_TIMEOUT", defaultConnectionTimeouts.requestMs),
  dispatchSliceMs: millis("HTTP_DISPATCH_SLICE", defaultConnectionTimeouts.dispatchSliceMs),
  // Half the request deadline: a request never waits for its turn longer than it may then run.
  queueMaxWaitMs: Config.map(requestDeadlineConfig, (d) => Duration.toMillis(d) / 2)
})

export const layerConfig = Layer.unwrap(
  Effect.gen(function*() {
    const port = yield* Config.Port("PORT").pipe(Config.withDefault(8080))
    const host = yield* Config.String("HOST").pipe(Config.withDefault("0.0.0.0"))
    // How long SIGTERM waits for requests in flight; deployments size their stop timeouts above it.
    const drain = yield* Config.Duration("SHUTDOWN_DRAIN").pipe(Config.withDefault("20 seconds"))
    const timeouts = yield* connectionTimeouts
    if (timeouts.requestMs > 0 && timeouts.headersMs > timeouts.requestMs) {
      return yield* Effect.fail(new Error("HTTP_HEADERS_TIMEOUT must not be above HTTP_REQUEST_TIMEOUT (the head is part of the request)"))
    }
    // The kernel's queue of connections not yet accepted (capped by net.core.somaxconn); Node's default is 511.
    const backlog = yield* Config.schema(
      Schema.NumberFromString.pipe(
        Schema.decodeTo(
          Schema.Finite.check(
            Schema.makeFilter((n: number) =>
              (Number.isInteger(n) && n >= 1 && n <= 65_535) || "HTTP_LISTEN_BACKLOG must be a whole number from 1 to 65535"
            )
          )
        )
      ),
      "HTTP_LISTEN_BACKLOG"
    ).pipe(Config.withDefault(4096))
    // closeStreamsFirst is built after the server, so it is released (streams ended) before the server drains.
    return closeStreamsFirst.pipe(
      Layer.provide(serve(Routes)),
      Layer.provide(NodeHttpServer.layer(() => createServer(timeouts), { port, host, backlog, gracefulShutdownTimeout: drain }))
    )
  })
)

/** NodeHttpServer.layerTest with this server (its answer to requests Node's parser refuses) on a random loopback port. */
export const layerTest = HttpServer.layerTestClient.pipe(
  Layer.provide(Layer.fresh(FetchHttpClient.layer).pipe(Layer.provide(Layer.succeed(FetchHttpClient.RequestInit)({ keepalive: false })))),
  Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" }))
)
