import { Config, Context, Duration, Effect, Layer, Schedule } from "effect"
import { PopularityStore } from "./PopularityStore.ts"

/**
 * Which symbols are requested most, so prewarm knows what to load. Counts are
 * kept in memory and flushed in batches to Redis, where every instance adds to
 * the same sorted set; without Redis they live and die with the process.
 */
export class Popularity extends Context.Service<Popularity, {
  readonly touch: (symbol: string) => void
  /** The `n` most requested symbols, most first. */
  readonly hottest: (n: number) => Effect.Effect<ReadonlyArray<string>>
}>()("@marketgate/server/Cache/Popularity") {
  static readonly make = (flushEvery: Duration.Duration) =>
    Effect.gen(function*() {
      const remote = yield* PopularityStore
      let pending = new Map<string, number>()
      const local = new Map<string, number>()

      const flush = Effect.suspend(() => {
        if (pending.size === 0) return Effect.void
        const batch = pending
        pending = new Map()
        return remote.recordHits(batch)
      })
      if (remote.enabled) {
        yield* Effect.forkScoped(flush.pipe(Effect.repeat(Schedule.spaced(flushEvery))))
        yield* Effect.addFinalizer(() => flush)
      }

      return Popularity.of({
        touch: (symbol) => {
          local.set(symbol, (local.get(symbol) ?? 0) + 1)
          if (remote.enabled) pending.set(symbol, (pending.get(symbol) ?? 0) + 1)
        },
        hottest: (n) =>
          remote.enabled
            ? remote.hottest(n)
            : Effect.sync(() => [...local].sort((a, b) => b[1] - a[1]).slice(0, n).map(([s]) => s))
      })
    })

  static readonly layer = Layer.effect(Popularity, Popularity.make(Duration.seconds(10)))

  static readonly layerConfig = Layer.effect(
    Popularity,
    Effect.flatMap(Config.Duration("POPULARITY_FLUSH").pipe(Config.withDefault(Duration.seconds(10))), Popularity.make)
  )
}
