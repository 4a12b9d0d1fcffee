import { exchangeOf, type Market, marketOf, Symbol } from "@marketgate/domain/Symbol"
import { Config, Context, Effect, Layer, Option, Schema, SchemaGetter } from "effect"
import { Popularity } from "../Cache/Popularity.ts"
import { InstrumentCatalog } from "../Instruments/InstrumentCatalog.ts"
import { MarketData } from "../MarketData/MarketData.ts"
import * as JobResult from "./JobResult.ts"
import { type JobOutcome, JobRunner } from "./JobRunner.ts"

/** `600519.sh, AAPL.US`: each entry decoded as a symbol (trimmed, upper-cased), so a typo stops start-up. */
const SymbolList = Schema.String.pipe(
  Schema.decodeTo(Schema.Array(Symbol), {
    decode: SchemaGetter.transform((s: string) => s.split(",").map((x) => x.trim()).filter((x) => x.length > 0)),
    encode: SchemaGetter.transform((xs: ReadonlyArray<string>) => xs.join(","))
  })
)

export interface PrewarmOptions {
  /** How many of the hottest symbols. */
  readonly count: number
  /** Used when no popularity is recorded yet (a first start, no Redis). */
  readonly fallback: ReadonlyArray<Symbol>
}

/** `PREWARM_COUNT` (default 100; 0 turns prewarming off) and `PREWARM_SYMBOLS` (symbols, comma-separated). */
export const PrewarmConfig: Config.Config<PrewarmOptions> = Config.all({
  count: Config.Int("PREWARM_COUNT").pipe(Config.withDefault(100), Config.map((n) => Math.max(0, n))),
  fallback: Config.schema(SymbolList, "PREWARM_SYMBOLS").pipe(Config.withDefault([] as ReadonlyArray<Symbol>))
})

/**
 * Loads the quotes and the default year of daily bars of the hottest symbols
 * (the most requested across instances, else `PREWARM_SYMBOLS`) into the
 * cache: at start-up, and before each market's open for that market.
 */
export class Prewarm extends Context.Service<Prewarm, {
  readonly run: (market: Market | undefined, trigger: string) => Effect.Effect<JobOutcome>
}>()("@marketgate/server/Jobs/Prewarm") {
  static readonly layer = (options: PrewarmOptions) =>
    Layer.effect(
      Prewarm,
      Effect.gen(function*() {
        const popularity = yield* Popularity
        const catalog = yield* InstrumentCatalog
        const marketData = yield* MarketData
        const runner = yield* JobRunner

        const warm = (market: Market | undefined) =>
          Effect.gen(function*() {
            const hot = yield* popularity.hottest(options.count)
            // Popularity keys were symbols when recorded, but Redis is shared: check again.
            const candidates = (hot.length > 0 ? hot : options.fallback).filter((s): s is Symbol =>
              Schema.is(Symbol)(s) && (market === undefined || marketOf(exchangeOf(s)) === market)
            )
            // Only known symbols: a stale popularity entry must not become a failed load.
            const known = (yield* Effect.forEach(candidates, (s) => Effect.option(catalog.lookup(s)))).flatMap((i) =>
              Option.isSome(i) ? [i.value.symbol] : []
            )
            for (let i = 0; i < known.length; i += 50) yield* Effect.ignore(marketData.quotes(known.slice(i, i + 50)))
            const failed = yield* Effect.forEach(
              known,
              (symbol) => marketData.bars(symbol, { interval: "1d", adjust: "none" }).pipe(Effect.as(0), Effect.orElseSucceed(() => 1)),
              { concurrency: 4 }
            )
            return JobResult.ofSymbols({
              symbols: known.length,
              failed: failed.reduce((a: number, b) => a + b, 0),
              from_popularity: hot.length > 0 ? 1 : 0
            })
          })

        return Prewarm.of({
          run: (market, trigger) =>
            options.count === 0
              ? Effect.succeed({ _tag: "Skipped", reason: "prewarming is off (PREWARM_COUNT=0)" } as const)
              : runner.run({ kind: market === undefined ? "prewarm" : `prewarm:${market}`, trigger, params: { count: options.count } }, () =>
              warm(market).pipe(Effect.withSpan("Cache.prewarm")))
        })
      })
    )

  /** `PREWARM_COUNT` (default 100; 0 turns prewarming off) and `PREWARM_SYMBOLS`. */
  static readonly layerConfig = Layer.unwrap(Effect.map(PrewarmConfig, Prewarm.layer))
}

/** Prewarms once at start-up, in the background: readiness does not wait for it. */
export const layerStartup = Layer.effectDiscard(
  Effect.gen(function*() {
    const prewarm = yield* Prewarm
    yield* Effect.forkScoped(prewarm.run(undefined, "startup"))
  })
)
