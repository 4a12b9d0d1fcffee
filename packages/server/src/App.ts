import type { PgClient } from "@effect/sql-pg"
import { Layer } from "effect"
import type { SqlClient } from "effect/sql"
import { MarketCache } from "./Cache/MarketCache.ts"
import { Popularity } from "./Cache/Popularity.ts"
import * as RedisRemoteCache from "./Cache/RedisRemoteCache.ts"
import type { RemoteCache } from "./Cache/RemoteCache.ts"
import { TradingCalendars } from "./Calendar/TradingCalendars.ts"
import * as HttpServerLive from "./Http/HttpServerLive.ts"
import { InstrumentCatalog } from "./Instruments/InstrumentCatalog.ts"
import { DailyHistory } from "./MarketData/DailyHistory.ts"
import { MarketData } from "./MarketData/MarketData.ts"
import * as Prewarm from "./MarketData/Prewarm.ts"
import * as Logging from "./Observability/Logging.ts"
import { MetricsRegistry } from "./Observability/MetricsRegistry.ts"
import type { MarketDataSource } from "./Sources/MarketDataSource.ts"
import type { SourceRouter } from "./Sources/SourceRouter.ts"
import * as Sources from "./Sources/SourcesLayer.ts"
import * as Database from "./Store/Database.ts"
import { DailyBarRepo } from "./Store/DailyBarRepo.ts"
import { InstrumentRepo } from "./Store/InstrumentRepo.ts"

/** The parts a deployment (or a test) chooses; everything else is derived from them. */
export interface AppParts<E> {
  readonly database: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, E>
  readonly source: Layer.Layer<MarketDataSource | SourceRouter, E, TradingCalendars | MetricsRegistry>
  readonly cache: Layer.Layer<MarketCache | RemoteCache | Popularity, E, MetricsRegistry>
  readonly history: Layer.Layer<DailyHistory, E, TradingCalendars | DailyBarRepo | MarketDataSource | MarketCache | MetricsRegistry>
  readonly calendars: Layer.Layer<TradingCalendars, E>
  readonly metrics: Layer.Layer<MetricsRegistry, E>
}

/**
 * The services behind the HTTP API, composed in one place from the chosen
 * parts. Tests build the same graph with fakes for any part.
 */
export const services = <E>(parts: AppParts<E>) => {
  const base = Layer.mergeAll(parts.metrics, parts.calendars)
  const store = Layer.mergeAll(InstrumentRepo.layer, DailyBarRepo.layer).pipe(Layer.provideMerge(parts.database))
  const core = Layer.mergeAll(store, parts.source, parts.cache).pipe(Layer.provideMerge(base))
  return MarketData.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(InstrumentCatalog.layer, parts.history)),
    Layer.provideMerge(core)
  )
}

/** Every part as configured by the environment (see docs/configuration.md). */
export const configuredParts: AppParts<unknown> = {
  database: Database.layerConfig,
  source: Sources.layerConfig,
  cache: Layer.mergeAll(MarketCache.layerConfig, Popularity.layerConfig).pipe(
    Layer.provideMerge(RedisRemoteCache.layerConfig)
  ),
  history: DailyHistory.layerConfig,
  calendars: TradingCalendars.layerConfig,
  metrics: MetricsRegistry.layer
}

/** The HTTP service with every part as configured, logging as `LOG_FORMAT`/`LOG_LEVEL` say. */
export const AppLayer = Layer.mergeAll(HttpServerLive.layerConfig, Prewarm.layerConfig).pipe(
  Layer.provide(services(configuredParts)),
  Layer.provide(Logging.layerConfig)
)
