import type { PgClient } from "@effect/sql-pg"
import { Effect, Layer } from "effect"
import type { SqlClient } from "effect/sql"
import { MarketCache } from "./Cache/MarketCache.ts"
import { Popularity } from "./Cache/Popularity.ts"
import * as RedisRemoteCache from "./Cache/RedisRemoteCache.ts"
import type { RemoteCache } from "./Cache/RemoteCache.ts"
import { TradingCalendars } from "./Calendar/TradingCalendars.ts"
import * as AuthLayer from "./Auth/AuthLayer.ts"
import * as Bootstrap from "./Auth/Bootstrap.ts"
import * as HttpServerLive from "./Http/HttpServerLive.ts"
import { InstrumentCatalog } from "./Instruments/InstrumentCatalog.ts"
import { Backfill } from "./Jobs/Backfill.ts"
import { DailySync } from "./Jobs/DailySync.ts"
import * as IntegrityCheck from "./Jobs/IntegrityCheck.ts"
import { IntradayRefresh } from "./Jobs/IntradayRefresh.ts"
import { JobLock } from "./Jobs/JobLock.ts"
import { ListingRefresh } from "./Jobs/ListingRefresh.ts"
import { JobRunner } from "./Jobs/JobRunner.ts"
import * as MarketSchedule from "./Jobs/MarketSchedule.ts"
import { Retention } from "./Jobs/Retention.ts"
import type { Scheduler } from "./Jobs/Scheduler.ts"
import { TrackedInstruments } from "./Jobs/TrackedInstruments.ts"
import { DailyHistory } from "./MarketData/DailyHistory.ts"
import { IngestMetrics } from "./MarketData/IngestMetrics.ts"
import { IntradayHistory } from "./MarketData/IntradayHistory.ts"
import { MarketData } from "./MarketData/MarketData.ts"
import { Overview } from "./MarketData/MarketOverview.ts"
import { SecondOpinion } from "./MarketData/SecondOpinion.ts"
import { MoneyFlow } from "./MarketData/MoneyFlow.ts"
import * as Prewarm from "./Jobs/Prewarm.ts"
import * as Logging from "./Observability/Logging.ts"
import { MetricsRegistry } from "./Observability/MetricsRegistry.ts"
import * as Tracing from "./Observability/Tracing.ts"
import type { QualityValidator } from "./Quality/QualityValidator.ts"
import { DataWorld } from "./Sources/DataWorld.ts"
import type { MarketDataSource } from "./Sources/MarketDataSource.ts"
import type { SourceRouter } from "./Sources/SourceRouter.ts"
import * as Sources from "./Sources/SourcesLayer.ts"
import * as Database from "./Store/Database.ts"
import { DailyBarRepo } from "./Store/DailyBarRepo.ts"
import type { DatabaseInfo } from "./Store/DatabaseInfo.ts"
import { IngestRunRepo } from "./Store/IngestRunRepo.ts"
import { InstrumentRepo } from "./Store/InstrumentRepo.ts"
import { IntradayRepo } from "./Store/IntradayRepo.ts"
import { QuarantineRepo } from "./Store/QuarantineRepo.ts"
import * as StoreMetrics from "./Store/StoreMetrics.ts"
import { claimWorld } from "./Store/StoreWorld.ts"
import type { QuoteBus } from "./Streaming/QuoteBus.ts"
import { QuoteHub } from "./Streaming/QuoteHub.ts"
import * as RedisQuoteBus from "./Streaming/RedisQuoteBus.ts"
import { WatchlistRepo } from "./Watchlist/WatchlistRepo.ts"

/** The parts a deployment (or a test) chooses; everything else is derived from them. */
export interface AppParts<E> {
  readonly database: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient | DatabaseInfo, E>
  /** The providers behind the router, and the world (demo or real) they serve. */
  readonly source: Layer.Layer<MarketDataSource | SourceRouter | DataWorld, E, TradingCalendars | MetricsRegistry>
  readonly cache: Layer.Layer<MarketCache | RemoteCache | Popularity, E, MetricsRegistry>
  /** Daily history with its quality validator. */
  readonly history: Layer.Layer<
    DailyHistory | QualityValidator,
    E,
    TradingCalendars | DailyBarRepo | QuarantineRepo | MarketDataSource | SecondOpinion | MetricsRegistry | IngestMetrics
  >
  /** Which jobs run by themselves, and when. */
  readonly scheduler: Layer.Layer<Scheduler, E, DailySync | IntradayRefresh | Retention | Prewarm.Prewarm | ListingRefresh | TradingCalendars>
  readonly calendars: Layer.Layer<TradingCalendars, E>
  readonly metrics: Layer.Layer<MetricsRegistry, E>
  /** How live quote streams share polls between instances; default: over Redis when REDIS_URL is set. */
  readonly quoteBus?: Layer.Layer<QuoteBus, E>
}

/**
 * The services behind the HTTP API and the CLI, composed in one place from
 * the chosen parts. Tests build the same graph with fakes for any part.
 */
export const services = <E>(parts: AppParts<E>) => {
  const base = Layer.mergeAll(parts.metrics, parts.calendars)
  const store = Layer.mergeAll(
    InstrumentRepo.layer,
    DailyBarRepo.layer,
    QuarantineRepo.layer,
    IngestRunRepo.layer,
    IntradayRepo.layer,
    WatchlistRepo.layer
  ).pipe(
    // Merged, not only provided: repositories read StoreMetrics when a query runs, in the caller's context.
    Layer.provideMerge(StoreMetrics.layer),
    Layer.provideMerge(parts.database)
  )
  const core = Layer.mergeAll(store, parts.source, parts.cache, IngestMetrics.layer).pipe(Layer.provideMerge(base))
  // Before anything reads or writes: a store holds one world, demo or real.
  const oneWorld = Layer.effectDiscard(Effect.gen(function*() {
    const { sources, world } = yield* DataWorld
    yield* claimWorld(world, sources)
  }))
  const reads = Layer.mergeAll(MarketData.layer, Overview.layer, MoneyFlow.layer).pipe(
    Layer.provideMerge(Layer.mergeAll(InstrumentCatalog.layerConfig, IntradayHistory.layer.pipe(Layer.provideMerge(parts.history), Layer.provideMerge(SecondOpinion.layer)))),
    Layer.provideMerge(oneWorld),
    Layer.provideMerge(core)
  )
  const runner = JobRunner.layer.pipe(Layer.provideMerge(JobLock.layer))
  const engine = Layer.mergeAll(Backfill.layer, TrackedInstruments.layer).pipe(Layer.provideMerge(runner))
  const jobs = Layer.mergeAll(
    IntegrityCheck.IntegrityCheck.layerConfig,
    DailySync.layerConfig,
    IntradayRefresh.layer,
    Retention.layerConfig,
    Prewarm.Prewarm.layerConfig,
    ListingRefresh.layer
  ).pipe(Layer.provideMerge(engine))
  const streaming = parts.quoteBus === undefined
    ? QuoteHub.layerConfig.pipe(Layer.provide(RedisQuoteBus.layerConfig))
    : QuoteHub.layerConfig.pipe(Layer.provide(parts.quoteBus))
  return parts.scheduler.pipe(Layer.provideMerge(jobs), Layer.provideMerge(streaming.pipe(Layer.provideMerge(reads))))
}

/** Every part as configured by the environment (see docs/configuration.md). */
export const configuredParts: AppParts<unknown> = {
  database: Database.layerConfig,
  source: Sources.layerConfig,
  cache: Layer.mergeAll(MarketCache.layerConfig, Popularity.layerConfig).pipe(
    Layer.provideMerge(RedisRemoteCache.layerConfig)
  ),
  history: DailyHistory.layerConfig,
  scheduler: MarketSchedule.layerConfig,
  calendars: TradingCalendars.layerConfig,
  metrics: MetricsRegistry.layer
}

/**
 * The HTTP service with every part as configured, the schedule running, and
 * the start-up work (integrity check, cache prewarm) in the background;
 * traces exported as `OTEL_*` say, logging as `LOG_FORMAT`/`LOG_LEVEL` say.
 */
export const AppLayer = Layer.mergeAll(
  // The first admin exists (from ADMIN_PASSWORD) before the server listens.
  HttpServerLive.layerConfig.pipe(Layer.provide(Bootstrap.layerStartup)),
  Prewarm.layerStartup,
  IntegrityCheck.layerStartup
).pipe(
  // Accounts, tokens, sessions and access control over the same store (docs/security.md).
  Layer.provide(AuthLayer.layerConfig),
  Layer.provide(services(configuredParts)),
  // Tracing is provided last, around everything, so every span is exported (and flushed on shutdown).
  Layer.provide(Tracing.layerConfig),
  Layer.provide(Logging.layerConfig)
)
