import { type DataUnavailable, UnknownSymbol } from "@marketgate/domain/ApiErrors"
import type { Instrument, InstrumentPage } from "@marketgate/domain/Instrument"
import { isSymbol } from "@marketgate/domain/Symbol"
import { Config, Context, Duration, Effect, Fiber, Layer, Ref } from "effect"
import * as Prom from "prom-client"
import { TradingCalendars } from "../Calendar/TradingCalendars.ts"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"
import { MarketDataSource } from "../Sources/MarketDataSource.ts"
import { SourceRouter } from "../Sources/SourceRouter.ts"
import { InstrumentRepo } from "../Store/InstrumentRepo.ts"
import type { StoreError } from "../Store/StoreError.ts"
import { type DiscoveryOptions, makeDiscovery } from "./Discovery.ts"
import { applyListings, type ListingOutcome, upsertIndices } from "./ListingUpdate.ts"
import { type SearchQuery, SearchIndex } from "./SearchIndex.ts"

export type InstrumentQuery = SearchQuery

export interface CatalogOptions extends DiscoveryOptions {
  /** A complete listing that loses more than this share of its symbols at once delists none (it looks cut short). */
  readonly maxDelistShare: number
  /** How long start-up waits for a first listing into an empty store before serving (it goes on in the background). */
  readonly startupWait: Duration.Duration
}

interface Index {
  readonly bySymbol: ReadonlyMap<string, Instrument>
  readonly search: SearchIndex
}

const indexOf = (list: ReadonlyArray<Instrument>): Index => ({
  bySymbol: new Map(list.map((i) => [i.symbol, i])),
  search: SearchIndex.of(list)
})

/**
 * The listing universe, kept in memory and persisted in the store: the
 * listings of the providers that offer one, the market indices, and symbols
 * discovered on first request. A symbol outside it is confirmed at a provider
 * before a 404 (Discovery.ts).
 */
export class InstrumentCatalog extends Context.Service<InstrumentCatalog, {
  /** The instrument of a symbol: from the catalog, or confirmed at a provider. */
  readonly lookup: (symbol: string) => Effect.Effect<Instrument, UnknownSymbol | DataUnavailable>
  readonly search: (query: InstrumentQuery) => Effect.Effect<InstrumentPage>
  readonly size: Effect.Effect<number>
  readonly all: Effect.Effect<ReadonlyArray<Instrument>>
  /** Whether it can serve: a provider lists instruments and none has loaded yet means no. */
  readonly ready: Effect.Effect<boolean>
  /** Pull every provider's listing into the store and memory. */
  readonly refresh: Effect.Effect<ReadonlyArray<ListingOutcome>, StoreError>
}>()("@marketgate/server/Instruments/InstrumentCatalog") {
  static readonly make = (options: CatalogOptions) =>
    Effect.gen(function*() {
      const repo = yield* InstrumentRepo
      const source = yield* MarketDataSource
      const router = yield* SourceRouter
      const calendars = yield* TradingCalendars
      const { registry } = yield* MetricsRegistry
      const rejected = new Prom.Counter({
        name: "cache_penetration_rejected_total",
        help: "Lookups of symbols no provider confirmed, refused by the negative-cache Bloom filter without a provider call",
        registers: [registry]
      })
      const outcomes = new Prom.Counter({
        name: "instrument_discoveries_total",
        help: "Symbols outside the catalog asked of a provider, by outcome (confirmed, absent, failed)",
        labelNames: ["outcome"],
        registers: [registry]
      })
      const delistings = new Prom.Counter({
        name: "instruments_delisted_total",
        help: "Instruments marked delisted because their listing source no longer lists them",
        labelNames: ["source"],
        registers: [registry]
      })
      for (const outcome of ["confirmed", "absent", "failed"]) outcomes.inc({ outcome }, 0)

      yield* upsertIndices(repo).pipe(Effect.catch((e) => Effect.logWarning("could not store the market indices").pipe(Effect.annotateLogs({ error: e.message }))))
      const stored = yield* repo.all
      const index = yield* Ref.make(indexOf(stored))
      const listers = source.capabilities.operations.has("instruments")
      // Ready once a listing is in: the store's (non-index rows) or a fresh one.
      const loaded = yield* Ref.make(!listers || stored.some((i) => i.kind !== "index"))

      const discovery = yield* makeDiscovery(source, options, { outcomes, rejected }, (instrument) =>
        Effect.gen(function*() {
          yield* repo.upsert([instrument], "discovery").pipe(
            Effect.catch((e) => Effect.logWarning("could not store a discovered instrument").pipe(Effect.annotateLogs({ symbol: instrument.symbol, error: e.message })))
          )
          yield* Ref.update(index, (i) => ({
            bySymbol: new Map([...i.bySymbol, [instrument.symbol, instrument]]),
            search: i.search.with(instrument)
          }))
          yield* Effect.logInfo("discovered an instrument outside the catalog").pipe(Effect.annotateLogs({ symbol: instrument.symbol, name: instrument.name }))
        }))

      const refresh = Effect.gen(function*() {
        const listings = yield* router.listings
        const results = yield* applyListings(repo, calendars, listings, options.maxDelistShare)
        yield* upsertIndices(repo)
        yield* Ref.set(index, indexOf(yield* repo.all))
        for (const r of results) {
          if (r.delisted.length > 0) delistings.inc({ source: r.source }, r.delisted.length)
          const log = r.error !== undefined || r.refused !== undefined ? Effect.logWarning : Effect.logInfo
          yield* log(r.error === undefined ? "instrument listing refreshed" : "instrument listing failed").pipe(
            Effect.annotateLogs({
              source: r.source,
              instruments: r.listed,
              changed: r.changed,
              delisted: r.delisted.length,
              ...(r.delisted.length > 0 ? { delisted_symbols: r.delisted.slice(0, 20).join(",") } : {}),
              ...(r.refused === undefined ? {} : { not_delisted: r.refused }),
              ...(r.error === undefined ? {} : { error: r.error })
            })
          )
        }
        if (results.some((r) => r.error === undefined && r.listed > 0)) yield* Ref.set(loaded, true)
        return results
      }).pipe(Effect.withSpan("InstrumentCatalog.refresh"))

      // Every start refreshes the listings in the background. An empty store waits
      // for it when it is quick (the simulated listing is); a slow one goes on in
      // the background, and /ready waits for it. A store that has a listing serves at once.
      if (listers) {
        const empty = !(yield* Ref.get(loaded))
        const first = yield* Effect.forkScoped(refresh.pipe(
          Effect.catch((e) =>
            (empty ? Effect.logError : Effect.logWarning)("the instrument listing at start-up failed; the daily refresh retries").pipe(
              Effect.annotateLogs({ error: e.message })
            )
          )
        ))
        if (empty) yield* Fiber.join(first).pipe(Effect.timeout(options.startupWait), Effect.ignore)
      }

      const lookup = (symbol: string) =>
        Effect.flatMap(Ref.get(index), ({ bySymbol }) => {
          const found = bySymbol.get(symbol)
          if (found !== undefined) return Effect.succeed(found)
          // Callers decode symbols first; a string that is not one is simply unknown.
          return isSymbol(symbol) ? discovery.discover(symbol) : Effect.fail(UnknownSymbol.of(symbol))
        })

      return InstrumentCatalog.of({
        lookup,
        search: (query) =>
          Effect.map(Ref.get(index), (i): InstrumentPage => ({ ...i.search.search(query), limit: query.limit, offset: query.offset })),
        size: Effect.map(Ref.get(index), (i) => i.bySymbol.size),
        all: Effect.map(Ref.get(index), (i) => [...i.bySymbol.values()]),
        ready: Ref.get(loaded),
        refresh
      })
    })

  static readonly layer = (options: CatalogOptions) => Layer.effect(InstrumentCatalog, InstrumentCatalog.make(options))

  /** `DISCOVERY_NEGATIVE_TTL` (1 hour), `DISCOVERY_CAPACITY` (100,000), `LISTING_MAX_DELIST_SHARE` (0.1). */
  static readonly layerConfig = Layer.effect(
    InstrumentCatalog,
    Effect.flatMap(
      Config.all({
        negativeTtl: Config.Duration("DISCOVERY_NEGATIVE_TTL").pipe(Config.withDefault(Duration.hours(1))),
        capacity: Config.Int("DISCOVERY_CAPACITY").pipe(Config.withDefault(100_000), Config.map((n) => Math.max(1000, n))),
        maxDelistShare: Config.Number("LISTING_MAX_DELIST_SHARE").pipe(Config.withDefault(0.1)),
        startupWait: Config.Duration("LISTING_STARTUP_WAIT").pipe(Config.withDefault(Duration.seconds(5)))
      }),
      InstrumentCatalog.make
    )
  )

  /** The defaults, for tests. */
  static readonly layerTest = InstrumentCatalog.layer({
    negativeTtl: Duration.hours(1),
    capacity: 10_000,
    maxDelistShare: 0.1,
    startupWait: Duration.seconds(30)
  })
}
