import { Context, type Duration, Effect, Layer } from "effect"
import type { CacheCodec, CacheEntry } from "./CacheEntry.ts"
import type { CacheKind } from "./CachePolicy.ts"

/** What one shared read for a key missing from L1 found, and whether it took the key's fill lock. */
export type SharedRead<A> =
  /** L2 has the entry (fresh or stale). */
  | { readonly _tag: "Hit"; readonly entry: CacheEntry<A> }
  /**
   * L2 has no usable entry. `token` is set when this instance now holds the
   * key's fill lock (released by `SharedTier.writeBehind`); unset when Redis
   * could not be asked, so the caller loads without a lock.
   */
  | { readonly _tag: "Miss"; readonly token: string | undefined }
  /** L2 has no entry and another instance holds the lock: it is loading the key. */
  | { readonly _tag: "Busy" }

/**
 * A short lock per cold key, so one instance loads it while the others wait
 * for its value. `layerNone`: no other instance to wait for, every read a
 * miss without a lock.
 */
export class FillLock extends Context.Service<FillLock, {
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
}>()("@marketgate/server/Cache/FillLock") {
  static readonly layerNone = Layer.succeed(
    FillLock,
    FillLock.of({ readOrLock: () => Effect.succeed({ _tag: "Miss", token: undefined }) })
  )
}
