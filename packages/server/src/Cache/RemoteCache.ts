import { Context, type Duration, Effect, Layer, Option, type Scope } from "effect"
import type { CacheCodec, CacheEntry } from "./CacheEntry.ts"
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

/** What one shared read for a key missing from L1 found, and whether it took the key's fill lock. */
export type SharedRead<A> =
  /** L2 has the entry (fresh or stale). */
  | { readonly _tag: "Hit"; readonly entry: CacheEntry<A> }
  /**
   * L2 has no usable entry. `token` is set when this instance now holds the
   * key's fill lock (released by `writeBehind`); unset when Redis could not
   * be asked, so the caller loads without a lock.
   */
  | { readonly _tag: "Miss"; readonly token: string | undefined }
  /** L2 has no entry and another instance holds the lock: it is loading the key. */
  | { readonly _tag: "Busy" }

/**
 * What instances share: the L2 tier, a short lock per cold key (so one pod
 * loads it while the others wait), an invalidation channel, and the request
 * counts that tell prewarm which symbols are hot. `layerNone` is the L1-only
 * deployment; every operation then answers "nothing shared".
 */
export class RemoteCache extends Context.Service<RemoteCache, {
  readonly enabled: boolean
  readonly tier: CacheTier
  /**
   * Reads a key and, when L2 does not have it, tries to take its fill lock
   * (held for `lockTtl` at most), in one round trip. Never fails: a Redis
   * that cannot answer reads as a miss without the lock.
   */
  readonly readOrLock: <A>(
    kind: CacheKind,
    key: string,
    codec: CacheCodec<A>,
    now: number,
    lockTtl: Duration.Duration
  ) => Effect.Effect<SharedRead<A>>
  /**
   * Queues an L2 write off the request path: `entry` stored (none when a load
   * failed) and the fill lock `token` released if it is still ours (none when
   * no lock was taken). Returns at once; a writer sends what has queued up.
   */
  readonly writeBehind: (kind: CacheKind, key: string, entry: CacheEntry<unknown> | undefined, token: string | undefined) => Effect.Effect<void>
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
      readOrLock: () => Effect.succeed({ _tag: "Miss", token: undefined }),
      writeBehind: () => Effect.void,
      publish: () => Effect.void,
      subscribe: () => Effect.void,
      recordHits: () => Effect.void,
      hottest: () => Effect.succeed([])
    })
  )
}
