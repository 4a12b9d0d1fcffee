import { Context, type Duration, Effect, Layer, Option, type Scope } from "effect"
import type { CacheKind } from "./CachePolicy.ts"
import type { CacheTier } from "./CacheTier.ts"

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

/**
 * What instances share: the L2 tier, a short lock per cold key (so one pod
 * loads it while the others wait), an invalidation channel, and the request
 * counts that tell prewarm which symbols are hot. `layerNone` is the L1-only
 * deployment; every operation then answers "nothing shared".
 */
export class RemoteCache extends Context.Service<RemoteCache, {
  readonly enabled: boolean
  readonly tier: CacheTier
  /** The lock's token when this instance got it; none when another holds it or the tier is down. */
  readonly tryLock: (kind: CacheKind, key: string, ttl: Duration.Duration) => Effect.Effect<Option.Option<string>>
  readonly unlock: (kind: CacheKind, key: string, token: string) => Effect.Effect<void>
  readonly isLocked: (kind: CacheKind, key: string) => Effect.Effect<boolean>
  readonly publish: (message: Invalidation) => Effect.Effect<void>
  /** Runs `handler` for every invalidation any instance publishes, for as long as the scope lives. */
  readonly subscribe: (handler: (message: Invalidation) => Effect.Effect<void>) => Effect.Effect<void, never, Scope.Scope>
  /** Adds request counts per symbol (batched by the caller). */
  readonly recordHits: (counts: ReadonlyMap<string, number>) => Effect.Effect<void>
  /** The most requested symbols across instances, most first. */
  readonly hottest: (n: number) => Effect.Effect<ReadonlyArray<string>>
}>()("@marketgate/server/Cache/RemoteCache") {
  static readonly layerNone = Layer.succeed(
    RemoteCache,
    RemoteCache.of({
      enabled: false,
      tier: {
        level: "l2",
        get: () => Effect.succeed(Option.none()),
        set: () => Effect.void,
        delete: () => Effect.void,
        deletePrefix: () => Effect.succeed(0)
      },
      tryLock: () => Effect.succeed(Option.none()),
      unlock: () => Effect.void,
      isLocked: () => Effect.succeed(false),
      publish: () => Effect.void,
      subscribe: () => Effect.void,
      recordHits: () => Effect.void,
      hottest: () => Effect.succeed([])
    })
  )
}
