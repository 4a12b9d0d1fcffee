import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Config, Context, Duration, Effect, Layer, Result, Schema, SchemaGetter } from "effect"
import type { HttpClient } from "effect/http"
import { RateLimiter } from "effect/persistence"
import type { TradingCalendars } from "../Calendar/TradingCalendars.ts"
import { DataWorld, worldOf } from "./DataWorld.ts"
import { MarketDataSource } from "./MarketDataSource.ts"
import { guard } from "./Resilience/GuardedSource.ts"
import { type SourceSettings, sourceSettingsConfig, type Tier } from "./Resilience/SourceSettings.ts"
import * as Eastmoney from "./Eastmoney/EastmoneySource.ts"
import * as NasdaqTrader from "./NasdaqTrader/NasdaqTraderSource.ts"
import * as Simulated from "./Simulated/SimulatedSource.ts"
import * as Sina from "./Sina/SinaSource.ts"
import * as Tencent from "./Tencent/TencentSource.ts"
import * as Yahoo from "./Yahoo/YahooSource.ts"
import { SourceMetrics } from "./SourceMetrics.ts"
import { type RouterOptions, SourceRouter } from "./SourceRouter.ts"

/** A provider this build knows: its layer, and the tier its defaults come from. */
interface Adapter {
  readonly layer: Layer.Layer<MarketDataSource, unknown, TradingCalendars | HttpClient.HttpClient>
  readonly tier: Tier
  readonly overrides?: Partial<Omit<SourceSettings, "name" | "priority" | "tier">>
}

/** Every provider, by the name `SOURCES` uses. Adding a provider is one line here. */
export const adapters = {
  // The demo world: local and free of charge, but it can inject failures, so a patient breaker.
  simulated: { layer: Simulated.layerConfig, tier: "paid", overrides: { cost: 0 } },
  yahoo: { layer: Yahoo.layerConfig, tier: "free" },
  eastmoney: { layer: Eastmoney.layerConfig, tier: "free" },
  // Two small files a day: its politeness limits are the free tier's.
  nasdaqtrader: { layer: NasdaqTrader.layerConfig, tier: "free" },
  sina: { layer: Sina.layerConfig, tier: "free" },
  tencent: { layer: Tencent.layerConfig, tier: "free" }
} satisfies Record<string, Adapter>

export type SourceName = keyof typeof adapters

const SourceList = Schema.String.pipe(
  Schema.decodeTo(Schema.Array(Schema.Literals(Object.keys(adapters) as Array<SourceName>)), {
    decode: SchemaGetter.transform((s: string) =>
      s.split(",").map((x) => x.trim()).filter((x) => x.length > 0) as Array<SourceName>
    ),
    encode: SchemaGetter.transform((xs: ReadonlyArray<string>) => xs.join(","))
  }),
  Schema.check(Schema.makeFilter((xs: ReadonlyArray<string>) => xs.length > 0 || "list at least one source")),
  Schema.check(Schema.makeFilter((xs: ReadonlyArray<string>) => new Set(xs).size === xs.length || "a source is listed twice")),
  Schema.check(Schema.makeFilter((xs: ReadonlyArray<string>) => Result.match(worldOf(xs), { onSuccess: () => true, onFailure: (m) => m })))
)

/** Each provider of `names` built, behind its policies, in priority order. */
const guardedSources = (names: ReadonlyArray<SourceName>) =>
  Effect.forEach(names, (name, priority) =>
    Effect.gen(function*() {
      const adapter: Adapter = adapters[name]
      const settings = yield* sourceSettingsConfig(name, priority, adapter.tier, adapter.overrides)
      const built = yield* Layer.build(adapter.layer)
      return yield* guard(Context.get(built, MarketDataSource), settings)
    }))

/** The shared pieces the policies need: metrics, the token-bucket store, an HTTP client for adapters. */
const policyServices = Layer.mergeAll(
  SourceMetrics.layer,
  RateLimiter.layer.pipe(Layer.provide(RateLimiter.layerStoreMemory)),
  NodeHttpClient.layerUndici
)

/** `SOURCES` as a provider list (default `simulated`): a list mixing the demo with real providers stops here. */
const sourcesConfig = Config.schema(SourceList, "SOURCES").pipe(Config.withDefault(["simulated" as const]))

/** The world `SOURCES` names, alone (no adapter is built). */
export const layerWorldConfig = Layer.unwrap(Effect.map(sourcesConfig, DataWorld.layer))

/**
 * `SOURCES` (default `simulated`) in priority order, each behind its policies,
 * routed by `SourceRouter`, which is the `MarketDataSource` of the app; and
 * the world they serve (`simulated` alone is the demo, never mixed).
 */
export const layerConfig = Layer.unwrap(
  Effect.gen(function*() {
    const names = yield* sourcesConfig
    const budget = yield* Config.Duration("SOURCES_BUDGET").pipe(Config.withDefault(Duration.seconds(4)))
    const listingBudget = yield* Config.Duration("SOURCES_LISTING_BUDGET").pipe(Config.withDefault(Duration.minutes(2)))
    return Layer.merge(SourceRouter.layer(guardedSources(names), { budget, listingBudget }), DataWorld.layer(names))
  })
).pipe(Layer.provide(policyServices))

/**
 * Route over given provider layers with explicit settings, e.g. fakes or a
 * replay server in tests; the world follows from their names as for `SOURCES`.
 */
export const layerFor = <E, R>(
  sources: ReadonlyArray<{ readonly layer: Layer.Layer<MarketDataSource, E, R>; readonly settings: SourceSettings }>,
  options: RouterOptions
) =>
  Layer.merge(
    SourceRouter.layer(
      Effect.forEach(sources, ({ layer, settings }) =>
        Effect.flatMap(Layer.build(layer), (built) => guard(Context.get(built, MarketDataSource), settings))),
      options
    ),
    DataWorld.layer(sources.map((s) => s.settings.name))
  ).pipe(
    Layer.provide(Layer.mergeAll(SourceMetrics.layer, RateLimiter.layer.pipe(Layer.provide(RateLimiter.layerStoreMemory))))
  )
