import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import type { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Layer, References } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import type { SqlClient } from "effect/sql"
import { type AppParts, services } from "../../src/App.ts"
import { MarketCache } from "../../src/Cache/MarketCache.ts"
import { TradingCalendars } from "../../src/Calendar/TradingCalendars.ts"
import * as HttpServerLive from "../../src/Http/HttpServerLive.ts"
import { Scheduler } from "../../src/Jobs/Scheduler.ts"
import type { DatabaseInfo } from "../../src/Store/DatabaseInfo.ts"
import { DailyHistory } from "../../src/MarketData/DailyHistory.ts"
import { MetricsRegistry } from "../../src/Observability/MetricsRegistry.ts"
import { tierDefaults } from "../../src/Sources/Resilience/SourceSettings.ts"
import * as Sources from "../../src/Sources/SourcesLayer.ts"
import * as Simulated from "../../src/Sources/Simulated/SimulatedSource.ts"

/** The simulated provider (seed 42, no latency, no failures) behind the router. */
export const simulatedSource = Sources.layerFor([{
  layer: Simulated.layer({ seed: 42, latency: Duration.zero, failureRate: 0 }),
  settings: { ...tierDefaults.paid, name: "simulated", priority: 0, tier: "paid" }
}], { budget: Duration.seconds(4) })

/**
 * The real HTTP server (same routes, middleware and services as production)
 * on a random loopback port, over the given database, with the simulated
 * provider unless another source is given. Provides an HttpClient aimed at it.
 */
export const testApp = (
  database: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient | DatabaseInfo, unknown>,
  source: AppParts<unknown>["source"] = simulatedSource
) =>
  HttpServerLive.serve(HttpServerLive.Routes).pipe(
    Layer.provide(
      services({
        database,
        source,
        cache: MarketCache.layerTest,
        history: DailyHistory.layerTest,
        scheduler: Scheduler.layerNone,
        calendars: TradingCalendars.layer,
        metrics: MetricsRegistry.layer
      })
    ),
    Layer.provideMerge(NodeHttpServer.layerTest),
    // Keep test output to what matters; warnings and errors still show.
    Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn"))
  )

export interface JsonAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: any
}

/**
 * GET a path and parse the JSON answer, whatever its status. The client's own
 * trace propagation is off, so a `traceparent` given here is the one sent.
 */
export const getJson = (path: string, headers: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const response = yield* client.execute(HttpClientRequest.get(path).pipe(HttpClientRequest.setHeaders(headers))).pipe(
      Effect.provideService(HttpClient.TracerPropagationEnabled, false)
    )
    const body = yield* response.json
    const answer: JsonAnswer = { status: response.status, headers: response.headers, body }
    return answer
  })

/** POST a JSON body and parse the JSON answer, whatever its status. */
export const postJson = (path: string, body: unknown) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const request = yield* HttpClientRequest.post(path).pipe(HttpClientRequest.bodyJson(body))
    const response = yield* client.execute(request)
    const answer: JsonAnswer = { status: response.status, headers: response.headers, body: yield* response.json }
    return answer
  })

export const getText = (path: string) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const response = yield* client.get(path)
    return { status: response.status, headers: response.headers, text: yield* response.text }
  })
