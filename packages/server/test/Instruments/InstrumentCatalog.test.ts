import { assert, describe, it } from "@effect/vitest"
import { type Instrument, makeInstrument } from "@marketgate/domain/Instrument"
import { Duration, Effect, Fiber, Layer, Ref, Result } from "effect"
import { TestClock } from "effect/testing"
import { readFileSync } from "node:fs"
import { TradingCalendars } from "../../src/Calendar/TradingCalendars.ts"
import { InstrumentCatalog } from "../../src/Instruments/InstrumentCatalog.ts"
import { planDelisting } from "../../src/Instruments/ListingUpdate.ts"
import { MetricsRegistry } from "../../src/Observability/MetricsRegistry.ts"
import { allOperations, type InstrumentListing, MarketDataSource, SourceError } from "../../src/Sources/MarketDataSource.ts"
import { parseSymbolDirectory } from "../../src/Sources/NasdaqTrader/SymbolDirectory.ts"
import { SourceRouter } from "../../src/Sources/SourceRouter.ts"
import { InstrumentRepo } from "../../src/Store/InstrumentRepo.ts"

const directory = (name: string) =>
  Result.getOrThrow(parseSymbolDirectory(readFileSync(new URL(`../fixtures/nasdaqtrader/${name}`, import.meta.url), "utf8"), "nasdaqlisted")).instruments

/** A provider that lists `listing` and confirms the symbols of `confirms`, counting what it is asked. */
const provider = (state: {
  readonly listing: Ref.Ref<InstrumentListing>
  readonly confirms: ReadonlyMap<string, Instrument>
  readonly asked: Ref.Ref<ReadonlyArray<string>>
  readonly down: Ref.Ref<boolean>
}) => {
  const fail = (reason: "NotFound" | "Unavailable", symbol: string) =>
    new SourceError({ source: "lister", operation: "instrument", reason, message: `${reason} for ${symbol}`, retryable: reason !== "NotFound" })
  const source = MarketDataSource.of({
    name: "lister",
    capabilities: { operations: allOperations, markets: new Set(["US"]) },
    instruments: Ref.get(state.listing),
    instrument: (symbol) =>
      Effect.gen(function*() {
        yield* Ref.update(state.asked, (a) => [...a, symbol])
        // Answers take a while, so concurrent lookups overlap.
        yield* Effect.sleep(Duration.millis(50))
        if (yield* Ref.get(state.down)) return yield* fail("Unavailable", symbol)
        const found = state.confirms.get(symbol)
        return found === undefined ? yield* fail("NotFound", symbol) : found
      }),
    dailyBars: () => Effect.die("not used"),
    intradayBars: () => Effect.die("not used"),
    quotes: () => Effect.die("not used"),
    snapshot: () => Effect.die("not used"),
    moneyFlow: () => Effect.die("not used")
  })
  const router = SourceRouter.of({
    health: Effect.succeed([]),
    plan: () => Effect.succeed(["lister"]),
    dailyBarsExcluding: () => Effect.die("not used"),
    listings: Effect.map(Effect.result(source.instruments), (result) => [{ source: "lister", markets: new Set(["US"] as const), result }])
  })
  return Layer.mergeAll(Layer.succeed(MarketDataSource, source), Layer.succeed(SourceRouter, router))
}

/** Runs `effect` while the test clock moves past the provider's 50 ms answers. */
const settled = <A, E, R>(effect: Effect.Effect<A, E, R>, time = Duration.seconds(1)) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(effect)
    yield* TestClock.adjust(time)
    return yield* Fiber.join(fiber)
  })

const epac = makeInstrument("EPAC", "US", "Enerpac Tool Group Corp.", "nyse", "2000-07-24")

const setup = (listing: ReadonlyArray<Instrument>) =>
  Effect.gen(function*() {
    const state = {
      listing: yield* Ref.make<InstrumentListing>({ instruments: listing, complete: true }),
      confirms: new Map([[epac.symbol, epac]]),
      asked: yield* Ref.make<ReadonlyArray<string>>([]),
      down: yield* Ref.make(false)
    }
    const layer = InstrumentCatalog.layerTest.pipe(
      Layer.provideMerge(Layer.mergeAll(InstrumentRepo.layerMemory, provider(state), TradingCalendars.layer, MetricsRegistry.layerTest))
    )
    return { state, layer }
  })

describe("discovery", () => {
  it.effect("a real symbol outside the listing is confirmed once, joins the catalog and its search", () =>
    Effect.gen(function*() {
      const { layer, state } = yield* setup(directory("nasdaqlisted-2025-07-21-A.txt"))
      yield* Effect.gen(function*() {
        const catalog = yield* InstrumentCatalog
        const found = yield* settled(catalog.lookup("EPAC.US"))
        assert.strictEqual(found.name, "Enerpac Tool Group Corp.")
        yield* catalog.lookup("EPAC.US")
        assert.deepStrictEqual(yield* Ref.get(state.asked), ["EPAC.US"])
        const page = yield* catalog.search({ q: "enerpac", limit: 10, offset: 0 })
        assert.deepStrictEqual(page.instruments.map((i) => i.symbol), ["EPAC.US"])
        const stored = yield* (yield* InstrumentRepo).all
        assert.isTrue(stored.some((i) => i.symbol === "EPAC.US"))
      }).pipe(Effect.provide(layer))
    }))

  it.effect("a made-up symbol: 404, asked once however often and however concurrently it is looked up", () =>
    Effect.gen(function*() {
      const { layer, state } = yield* setup([])
      yield* Effect.gen(function*() {
        const catalog = yield* InstrumentCatalog
        const errors = yield* settled(
          Effect.forEach(Array.from({ length: 50 }), () => Effect.flip(catalog.lookup("ZZZQX.US")), { concurrency: "unbounded" })
        )
        assert.isTrue(errors.every((e) => e._tag === "UnknownSymbol"))
        assert.strictEqual((yield* Effect.flip(catalog.lookup("ZZZQX.US")))._tag, "UnknownSymbol")
        assert.deepStrictEqual(yield* Ref.get(state.asked), ["ZZZQX.US"])
        // Distinct made-up symbols: one call each.
        const flood = Array.from({ length: 200 }, (_, i) => `Q${String.fromCharCode(65 + (i % 26))}${String.fromCharCode(65 + Math.floor(i / 26))}X.US`)
        yield* settled(Effect.forEach(flood, (s) => Effect.flip(catalog.lookup(s)), { concurrency: 20 }), Duration.seconds(10))
        yield* Effect.forEach(flood, (s) => Effect.flip(catalog.lookup(s)))
        assert.strictEqual((yield* Ref.get(state.asked)).length, 1 + new Set(flood).size)
      }).pipe(Effect.provide(layer))
    }))

  it.effect("absent is remembered for a while, then asked again; an outage is a 503 and not remembered", () =>
    Effect.gen(function*() {
      const { layer, state } = yield* setup([])
      yield* Effect.gen(function*() {
        const catalog = yield* InstrumentCatalog
        const look = (s: string) => settled(Effect.flip(catalog.lookup(s)))
        yield* look("NOPEX.US")
        yield* TestClock.adjust(Duration.hours(2))
        yield* look("NOPEX.US")
        assert.deepStrictEqual(yield* Ref.get(state.asked), ["NOPEX.US", "NOPEX.US"])
        yield* Ref.set(state.down, true)
        const outage = yield* look("EPAC.US")
        assert.strictEqual(outage._tag, "DataUnavailable")
        assert.match(outage.message, /try again shortly/)
        yield* Ref.set(state.down, false)
        assert.strictEqual((yield* settled(catalog.lookup("EPAC.US"))).symbol, "EPAC.US")
      }).pipe(Effect.provide(layer))
    }))
})

describe("listing refresh", () => {
  it.effect("real directories of July and October 2025: symbols gone by October get a delisted_date, none is deleted", () =>
    Effect.gen(function*() {
      const july = directory("nasdaqlisted-2025-07-21-A.txt")
      // October, cut to the same A… range the July recording holds.
      const october = directory("nasdaqlisted-2025-10-20.txt").filter((i) => i.code.startsWith("A"))
      const { layer, state } = yield* setup(july)
      yield* TestClock.setTime(Date.parse("2025-10-21T12:00:00Z"))
      yield* Effect.gen(function*() {
        const catalog = yield* InstrumentCatalog
        yield* Ref.set(state.listing, { instruments: october, complete: true })
        const [result] = yield* catalog.refresh
        const kept = new Set(october.map((i) => i.symbol))
        const gone = july.filter((i) => !kept.has(i.symbol)).map((i) => i.symbol).sort()
        assert.isAbove(gone.length, 0)
        assert.deepStrictEqual([...result!.delisted].sort(), gone)
        for (const symbol of gone) {
          const instrument = yield* catalog.lookup(symbol)
          assert.strictEqual(instrument.delisted_date, "2025-10-21", symbol)
        }
        const again = yield* catalog.lookup(october[0]!.symbol)
        assert.isNull(again.delisted_date)
      }).pipe(Effect.provide(layer))
    }))

  it.effect("an incomplete listing, or one that lost too much at once, delists nothing", () =>
    Effect.gen(function*() {
      const july = directory("nasdaqlisted-2025-07-21-A.txt")
      const { layer, state } = yield* setup(july)
      yield* Effect.gen(function*() {
        const catalog = yield* InstrumentCatalog
        yield* Ref.set(state.listing, { instruments: july.slice(0, 10), complete: false })
        const [partial] = yield* catalog.refresh
        assert.deepStrictEqual(partial!.delisted, [])
        yield* Ref.set(state.listing, { instruments: july.slice(0, 10), complete: true })
        const [shrunk] = yield* catalog.refresh
        assert.deepStrictEqual(shrunk!.delisted, [])
        assert.match(shrunk!.refused ?? "", /disappeared at once/)
        assert.isTrue((yield* catalog.all).filter((i) => i.market === "US" && i.kind !== "index").every((i) => i.delisted_date === null))
      }).pipe(Effect.provide(layer))
    }))

  it("planDelisting allows a handful whatever the size, refuses a share above the bound", () => {
    const before = Array.from({ length: 1000 }, (_, i) => `S${i}`)
    assert.strictEqual(planDelisting(before, new Set(before.slice(0, 950)), 0.1).gone.length, 50)
    assert.isDefined(planDelisting(before, new Set(before.slice(0, 800)), 0.1).refused)
    assert.strictEqual(planDelisting(before.slice(0, 30), new Set(), 0.1).gone.length, 0)
    assert.strictEqual(planDelisting(before.slice(0, 15), new Set(), 0.1).gone.length, 15)
  })
})
