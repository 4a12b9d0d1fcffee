import type { Symbol } from "@marketgate/domain/Symbol"
import { Context, Effect, Layer } from "effect"
import { SourceRouter } from "../Sources/SourceRouter.ts"
import type { Fetched } from "./Suspensions.ts"

/**
 * Where DailyHistory asks again for sessions whose bars failed a quality
 * rule: any provider but the ones that sent them. `layer` asks the router;
 * `layerNone` (a single fake provider in tests) has nobody else to ask.
 */
export class SecondOpinion extends Context.Service<SecondOpinion, {
  /** Bars of exactly `dates` from providers not in `exclude`; none when nobody else answers. */
  readonly dailyBars: (symbol: Symbol, dates: ReadonlyArray<string>, exclude: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<Fetched>>
}>()("@marketgate/server/MarketData/SecondOpinion") {
  static readonly layer = Layer.effect(
    SecondOpinion,
    Effect.map(SourceRouter, (router) =>
      SecondOpinion.of({
        dailyBars: (symbol, dates, exclude) => {
          const sorted = [...dates].sort()
          if (sorted.length === 0) return Effect.succeed([])
          return router.dailyBarsExcluding(symbol, sorted[0]!, sorted.at(-1)!, exclude).pipe(
            Effect.map((answer) =>
              answer.bars
                .filter((bar) => dates.includes(bar.date))
                .map((bar): Fetched => ({ bar, from: answer.source ?? "unknown" }))
            ),
            Effect.orElseSucceed((): ReadonlyArray<Fetched> => [])
          )
        }
      }))
  )

  static readonly layerNone = Layer.succeed(SecondOpinion, SecondOpinion.of({ dailyBars: () => Effect.succeed([]) }))
}
