import { Context, Effect, Layer, type Scope } from "effect"
import type { CacheKind } from "./CachePolicy.ts"

/** Sent to every instance when cached data changed: drop your L1 copies. */
export interface Invalidation {
  readonly kind: CacheKind
  /** One key … */
  readonly key?: string | undefined
  /** … or every key that starts with this. */
  readonly prefix?: string | undefined
  /** The instance that published it. */
  readonly origin: string
}

/** Invalidations between instances. `layerNone`: one instance, nobody to tell. */
export class InvalidationBus extends Context.Service<InvalidationBus, {
  readonly publish: (message: Invalidation) => Effect.Effect<void>
  /** Runs `handler` for every invalidation any instance publishes, for as long as the scope lives. */
  readonly subscribe: (handler: (message: Invalidation) => Effect.Effect<void>) => Effect.Effect<void, never, Scope.Scope>
}>()("@marketgate/server/Cache/InvalidationBus") {
  static readonly layerNone = Layer.succeed(
    InvalidationBus,
    InvalidationBus.of({ publish: () => Effect.void, subscribe: () => Effect.void })
  )
}
