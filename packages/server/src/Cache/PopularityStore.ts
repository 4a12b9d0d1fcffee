import { Context, Effect, Layer } from "effect"

/**
 * Request counts per symbol that every instance adds to, so prewarm knows
 * what is hot across the cluster. `layerNone`: nothing shared (Popularity
 * then counts in process memory).
 */
export class PopularityStore extends Context.Service<PopularityStore, {
  readonly enabled: boolean
  /** Adds request counts per symbol (batched by the caller). */
  readonly recordHits: (counts: ReadonlyMap<string, number>) => Effect.Effect<void>
  /** The most requested symbols across instances, most first. */
  readonly hottest: (n: number) => Effect.Effect<ReadonlyArray<string>>
}>()("@marketgate/server/Cache/PopularityStore") {
  static readonly layerNone = Layer.succeed(
    PopularityStore,
    PopularityStore.of({ enabled: false, recordHits: () => Effect.void, hottest: () => Effect.succeed([]) })
  )
}
