import { Context, Effect, Layer, Option } from "effect"
import type { CacheEntry } from "./CacheEntry.ts"
import type { CacheKind } from "./CachePolicy.ts"
import type { CacheTier } from "./CacheTier.ts"

/**
 * The level instances share (L2, Redis when `REDIS_URL` is set). `layerNone`
 * is the L1-only deployment: nothing is shared, every read misses.
 */
export class SharedTier extends Context.Service<SharedTier, {
  readonly enabled: boolean
  readonly tier: CacheTier
  /**
   * Queues an L2 write off the request path: `entry` stored (none when a load
   * failed) and the fill lock `token` (FillLock) released if it is still ours
   * (none when no lock was taken), in one command. Returns at once; a writer
   * sends what has queued up.
   */
  readonly writeBehind: (kind: CacheKind, key: string, entry: CacheEntry<unknown> | undefined, token: string | undefined) => Effect.Effect<void>
}>()("@marketgate/server/Cache/SharedTier") {
  static readonly layerNone = Layer.succeed(
    SharedTier,
    SharedTier.of({
      enabled: false,
      tier: {
        level: "l2",
        get: () => Effect.succeed(Option.none()),
        set: () => Effect.void,
        delete: () => Effect.void,
        deletePrefix: () => Effect.succeed(0)
      },
      writeBehind: () => Effect.void
    })
  )
}
