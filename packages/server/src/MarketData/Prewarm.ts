import type { Symbol } from "@marketgate/domain/Symbol"
import { Config, Effect, Layer, Schema, SchemaGetter } from "effect"
import { Popularity } from "../Cache/Popularity.ts"
import { InstrumentCatalog } from "../Instruments/InstrumentCatalog.ts"
import { MarketData } from "./MarketData.ts"

const SymbolList = Schema.String.pipe(
  Schema.decodeTo(Schema.Array(Schema.String), {
    decode: SchemaGetter.transform((s: string) => s.split(",").map((x) => x.trim()).filter((x) => x.length > 0)),
    encode: SchemaGetter.transform((xs: ReadonlyArray<string>) => xs.join(","))
  })
)

/**
 * At start-up, in the background (readiness does not wait), loads the quotes
 * and the default year of daily bars of the hottest `PREWARM_COUNT` symbols:
 * the most requested across instances (Redis), else `PREWARM_SYMBOLS`.
 */
export const layerConfig = Layer.effectDiscard(
  Effect.gen(function*() {
    const count = yield* Config.Int("PREWARM_COUNT").pipe(Config.withDefault(100))
    const fallback = yield* Config.schema(SymbolList, "PREWARM_SYMBOLS").pipe(Config.withDefault([]))
    const popularity = yield* Popularity
    const catalog = yield* InstrumentCatalog
    const marketData = yield* MarketData
    if (count <= 0) return
    const run = Effect.gen(function*() {
      const hot = yield* popularity.hottest(count)
      const candidates = (hot.length > 0 ? hot : fallback).slice(0, count)
      // Only known symbols: a stale popularity entry must not become a failed load.
      const known = (yield* Effect.forEach(candidates, (s) => Effect.option(catalog.lookup(s)))).flatMap((i) =>
        i._tag === "Some" ? [i.value.symbol as Symbol] : []
      )
      if (known.length === 0) return
      for (let i = 0; i < known.length; i += 50) yield* Effect.ignore(marketData.quotes(known.slice(i, i + 50)))
      const failed = yield* Effect.forEach(
        known,
        (symbol) => marketData.bars(symbol, { interval: "1d", adjust: "none" }).pipe(Effect.as(0), Effect.orElseSucceed(() => 1)),
        { concurrency: 4 }
      )
      yield* Effect.logInfo("cache prewarmed").pipe(
        Effect.annotateLogs({ symbols: known.length, failed: failed.reduce((a: number, b) => a + b, 0), from: hot.length > 0 ? "popularity" : "PREWARM_SYMBOLS" })
      )
    }).pipe(Effect.withSpan("Cache.prewarm"))
    yield* Effect.forkScoped(run)
  })
)
