import type { PgClient } from "@effect/sql-pg"
import { Context, Duration, Effect, Layer, Logger, type LogLevel, Redacted, References } from "effect"
import { HttpClient } from "effect/http"
import type { SqlClient } from "effect/sql"
import { services } from "../../src/App.ts"
import { MarketCache, type MarketCacheOptions } from "../../src/Cache/MarketCache.ts"
import { defaultPolicies } from "../../src/Cache/CachePolicy.ts"
import { Popularity } from "../../src/Cache/Popularity.ts"
import * as RedisRemoteCache from "../../src/Cache/RedisRemoteCache.ts"
import { TradingCalendars } from "../../src/Calendar/TradingCalendars.ts"
import * as HttpServerLive from "../../src/Http/HttpServerLive.ts"
import { Scheduler } from "../../src/Jobs/Scheduler.ts"
import type { DatabaseInfo } from "../../src/Store/DatabaseInfo.ts"
import { DailyHistory } from "../../src/MarketData/DailyHistory.ts"
import { jsonLine } from "../../src/Observability/Logging.ts"
import { MetricsRegistry } from "../../src/Observability/MetricsRegistry.ts"
import { tierDefaults } from "../../src/Sources/Resilience/SourceSettings.ts"
import * as Sources from "../../src/Sources/SourcesLayer.ts"
import * as Simulated from "../../src/Sources/Simulated/SimulatedSource.ts"
import { asAdmin, authLayer } from "./AuthTest.ts"
import { promValue } from "./PromText.ts"
import { getJson, getText, type JsonAnswer, postJson } from "./TestApp.ts"
import { freshPglite } from "./TestDatabase.ts"

export interface CacheTestAppOptions {
  /** The Redis of the L2 tier, e.g. `redis://127.0.0.1:6379`. */
  readonly redisUrl: string
  /** The L2 key prefix; instances that share it share L2, locks and invalidations. */
  readonly namespace: string
  /** Added to every call of the simulated provider (default none). */
  readonly latency?: Duration.Duration | undefined
  /** Per Redis command (default 100 ms, as in production). */
  readonly l2Timeout?: Duration.Duration | undefined
  /** Overrides of the cache settings (defaults: production policies and operational settings). */
  readonly cache?: Partial<MarketCacheOptions> | undefined
  /** The minimum log level (default Info when `lines` is given, else Warn). */
  readonly logLevel?: LogLevel.LogLevel | undefined
  /** Where log lines go (JSON, as production prints them); default: the console, as testApp. */
  readonly lines?: Array<string> | undefined
}

/** The cache settings of production, with the namespace of the test. */
export const cacheOptions = (options: CacheTestAppOptions): MarketCacheOptions => ({
  policies: defaultPolicies,
  maxEntries: 20_000,
  maxBytes: 64 * 1024 * 1024,
  lockTtl: Duration.seconds(5),
  lockWait: Duration.seconds(3),
  refreshConcurrency: 5,
  negativeTtl: Duration.seconds(30),
  ...options.cache,
  namespace: options.namespace
})

/**
 * `testApp` of TestApp.ts with the real cache: MarketCache and Popularity
 * over the Redis tier (`RedisRemoteCache.layer`), and a simulated provider
 * with a configurable latency. Provides an HttpClient aimed at the server.
 */
export const cacheTestApp = (
  database: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient | DatabaseInfo, unknown>,
  options: CacheTestAppOptions
) => {
  const lines = options.lines
  // Auth on the same Redis (its own keys under the namespace), as deployed.
  const app = HttpServerLive.serve(HttpServerLive.Routes).pipe(
    Layer.provideMerge(authLayer({ redis: { url: options.redisUrl, namespace: options.namespace } })),
    Layer.provideMerge(
      services({
        database,
        source: Sources.layerFor([{
          layer: Simulated.layer({ seed: 42, latency: options.latency ?? Duration.zero, failureRate: 0 }),
          settings: { ...tierDefaults.paid, name: "simulated", priority: 0, tier: "paid" }
        }], { budget: Duration.seconds(4) }),
        cache: Layer.mergeAll(MarketCache.layer(cacheOptions(options)), Popularity.layer).pipe(
          Layer.provideMerge(RedisRemoteCache.layer({
            url: Redacted.make(options.redisUrl),
            namespace: options.namespace,
            timeout: options.l2Timeout ?? Duration.millis(100)
          }))
        ),
        history: DailyHistory.layerTest,
        scheduler: Scheduler.layerNone,
        calendars: TradingCalendars.layer,
        metrics: MetricsRegistry.layer
      })
    ),
    Layer.provideMerge(HttpServerLive.layerTest),
    Layer.provide(
      lines === undefined
        // As testApp: the default logger, warnings and errors only.
        ? Layer.succeed(References.MinimumLogLevel, options.logLevel ?? "Warn")
        : Layer.mergeAll(
          Logger.layer([Logger.map(jsonLine, (line) => void lines.push(line))]),
          Layer.succeed(References.MinimumLogLevel, options.logLevel ?? "Info")
        )
    )
  )
  return asAdmin(app)
}

/** One running instance, addressed through its own HTTP client. */
export interface Instance {
  readonly name: string
  /** Its JSON log lines (parsed), in order. */
  readonly logs: () => ReadonlyArray<Record<string, unknown>>
  readonly getJson: (path: string) => Effect.Effect<JsonAnswer, unknown>
  readonly postJson: (path: string, body: unknown) => Effect.Effect<JsonAnswer, unknown>
  readonly metricsText: Effect.Effect<string, unknown>
  /** The sum of the samples of `name` with these labels in the instance's /metrics. */
  readonly metric: (name: string, labels?: Readonly<Record<string, string>>) => Effect.Effect<number, unknown>
}

/**
 * Builds one instance (its own fresh PGlite store) in the current scope and
 * returns a handle on it. Several instances can run side by side.
 */
export const startInstance = (name: string, options: Omit<CacheTestAppOptions, "lines">) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const context = yield* Layer.build(cacheTestApp(freshPglite(), { ...options, lines }))
    const client = Context.get(context, HttpClient.HttpClient)
    const withClient = <A, E>(effect: Effect.Effect<A, E, HttpClient.HttpClient>) =>
      Effect.provideService(effect, HttpClient.HttpClient, client)
    const metricsText = withClient(getText("/metrics")).pipe(
      Effect.flatMap((r) => (r.status === 200 ? Effect.succeed(r.text) : Effect.fail(new Error(`/metrics answered ${r.status}`))))
    )
    const instance: Instance = {
      name,
      logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
      getJson: (path) => withClient(getJson(path)),
      postJson: (path, body) => withClient(postJson(path, body)),
      metricsText,
      metric: (metric, labels = {}) => Effect.map(metricsText, (text) => promValue(text, metric, labels))
    }
    return instance
  })
