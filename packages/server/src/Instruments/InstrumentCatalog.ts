import { UnknownSymbol } from "@marketgate/domain/ApiErrors"
import type { Instrument, InstrumentPage } from "@marketgate/domain/Instrument"
import type { Market } from "@marketgate/domain/Symbol"
import { Context, Effect, Layer, Ref, Schedule } from "effect"
import * as Prom from "prom-client"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"
import { MarketDataSource, type SourceError } from "../Sources/MarketDataSource.ts"
import { InstrumentRepo } from "../Store/InstrumentRepo.ts"
import type { StoreError } from "../Store/StoreError.ts"
import { BloomFilter } from "./BloomFilter.ts"

export interface InstrumentQuery {
  readonly market?: Market | undefined
  readonly q?: string | undefined
  readonly limit: number
  readonly offset: number
}

interface Index {
  readonly list: ReadonlyArray<Instrument>
  readonly bySymbol: ReadonlyMap<string, Instrument>
  /** Rebuilt with every listing change: unknown symbols stop here, before any cache tier or provider. */
  readonly known: BloomFilter
}

const indexOf = (list: ReadonlyArray<Instrument>): Index => ({
  list,
  bySymbol: new Map(list.map((i) => [i.symbol, i])),
  known: new BloomFilter(list.map((i) => i.symbol), list.length)
})

/**
 * The listing universe, kept in memory (a few thousand rows) and persisted in
 * the store. Every request checks its symbol here first, so an unknown symbol
 * is refused before any cache, store or provider work.
 */
export class InstrumentCatalog extends Context.Service<InstrumentCatalog, {
  readonly lookup: (symbol: string) => Effect.Effect<Instrument, UnknownSymbol>
  readonly search: (query: InstrumentQuery) => Effect.Effect<InstrumentPage>
  readonly size: Effect.Effect<number>
  readonly all: Effect.Effect<ReadonlyArray<Instrument>>
  /** Pull the listing from the provider into the store and memory. */
  readonly refresh: Effect.Effect<number, SourceError | StoreError>
}>()("@marketgate/server/Instruments/InstrumentCatalog") {
  static readonly layer = Layer.effect(
    InstrumentCatalog,
    Effect.gen(function*() {
      const repo = yield* InstrumentRepo
      const source = yield* MarketDataSource
      const { registry } = yield* MetricsRegistry
      const rejected = new Prom.Counter({
        name: "cache_penetration_rejected_total",
        help: "Lookups of unknown symbols stopped by the Bloom filter before any cache tier or provider",
        registers: [registry]
      })
      const index = yield* Ref.make(indexOf(yield* repo.all))

      const refresh = Effect.gen(function*() {
        const listed = yield* source.instruments
        const changed = yield* repo.upsert(listed, source.name)
        yield* Ref.set(index, indexOf(yield* repo.all))
        yield* Effect.logInfo("instrument catalog refreshed").pipe(
          Effect.annotateLogs({ source: source.name, instruments: listed.length, changed })
        )
        return listed.length
      }).pipe(Effect.withSpan("InstrumentCatalog.refresh"))

      // A listing no configured provider offers will not appear by retrying.
      const unsupported = (error: SourceError | StoreError) => error._tag === "SourceError" && error.reason === "Unsupported"
      const noLister = Effect.gen(function*() {
        const size = (yield* Ref.get(index)).list.length
        yield* Effect.logWarning(
          `no provider in SOURCES lists instruments; the catalog keeps the ${size} the store holds`
        )
      })

      const retrying = refresh.pipe(
        Effect.tapError((error) =>
          unsupported(error)
            ? Effect.void
            : Effect.logWarning("instrument catalog refresh failed; retrying").pipe(Effect.annotateLogs({ error: error.message }))
        ),
        Effect.retry({
          schedule: Schedule.min([Schedule.exponential("1 second"), Schedule.spaced("1 minute")]),
          while: (error) => !unsupported(error)
        }),
        Effect.catch((error) => (unsupported(error) ? noLister : Effect.void))
      )

      // An empty store (first start) must be filled before serving; a filled
      // one serves at once and refreshes in the background.
      if ((yield* Ref.get(index)).list.length === 0) {
        yield* refresh.pipe(Effect.catch((error) =>
          unsupported(error)
            ? noLister
            : Effect.logError("no instruments yet: the provider's listing failed; retrying in the background").pipe(
              Effect.annotateLogs({ error: error.message }),
              Effect.andThen(Effect.forkScoped(retrying))
            )
        ))
      } else {
        yield* Effect.forkScoped(retrying)
      }

      const lookup = (symbol: string) =>
        Effect.flatMap(Ref.get(index), ({ bySymbol, known }) => {
          if (!known.mightContain(symbol)) {
            rejected.inc()
            return Effect.fail(UnknownSymbol.of(symbol))
          }
          const found = bySymbol.get(symbol)
          return found === undefined ? Effect.fail(UnknownSymbol.of(symbol)) : Effect.succeed(found)
        })

      const search = (query: InstrumentQuery) =>
        Effect.map(Ref.get(index), ({ list }): InstrumentPage => {
          const needle = query.q?.trim().toLowerCase()
          const matches = list.filter((i) =>
            (query.market === undefined || i.market === query.market) &&
            (needle === undefined || needle.length === 0 || i.symbol.toLowerCase().includes(needle) ||
              i.name.toLowerCase().includes(needle))
          )
          return {
            total: matches.length,
            limit: query.limit,
            offset: query.offset,
            instruments: matches.slice(query.offset, query.offset + query.limit)
          }
        })

      return InstrumentCatalog.of({
        lookup,
        search,
        size: Effect.map(Ref.get(index), (i) => i.list.length),
        all: Effect.map(Ref.get(index), (i) => i.list),
        refresh
      })
    })
  )
}
