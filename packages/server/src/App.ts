import { Layer } from "effect"
import { MarketCache } from "./Cache/MarketCache.ts"
import { TradingCalendars } from "./Calendar/TradingCalendars.ts"
import * as HttpServerLive from "./Http/HttpServerLive.ts"
import { InstrumentCatalog } from "./Instruments/InstrumentCatalog.ts"
import { DailyHistory } from "./MarketData/DailyHistory.ts"
import { MarketData } from "./MarketData/MarketData.ts"
import * as Logging from "./Observability/Logging.ts"
import { MetricsRegistry } from "./Observability/MetricsRegistry.ts"
import * as Sources from "./Sources/SourcesLayer.ts"
import * as Database from "./Store/Database.ts"
import { DailyBarRepo } from "./Store/DailyBarRepo.ts"
import { InstrumentRepo } from "./Store/InstrumentRepo.ts"

/**
 * The whole service, composed in one place. Each line is a Layer a test can
 * swap: the store, the provider, the cache, the calendars.
 */
const Base = Layer.mergeAll(MetricsRegistry.layer, TradingCalendars.layerConfig)

const Store = Layer.mergeAll(InstrumentRepo.layer, DailyBarRepo.layer).pipe(Layer.provideMerge(Database.layerConfig))

const Core = Layer.mergeAll(Store, Sources.layerConfig, MarketCache.layerConfig).pipe(Layer.provideMerge(Base))

const ReadPath = MarketData.layer.pipe(
  Layer.provideMerge(Layer.mergeAll(InstrumentCatalog.layer, DailyHistory.layerConfig)),
  Layer.provideMerge(Core)
)

export const AppLayer = HttpServerLive.layerConfig.pipe(
  Layer.provide(ReadPath),
  Layer.provide(Logging.layerConfig)
)
