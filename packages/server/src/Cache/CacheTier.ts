import { Data, type Effect, type Option } from "effect"
import type { CacheCodec, CacheEntry } from "./CacheEntry.ts"
import type { CacheKind } from "./CachePolicy.ts"

/** A tier could not answer (Redis down, slow, or a value that does not decode). */
export class CacheTierError extends Data.TaggedError("CacheTierError")<{
  readonly level: "l1" | "l2"
  readonly operation: string
  readonly reason: string
}> {}

/**
 * One level of the cache. Every tier (process memory: `L1.tier`; Redis) answers
 * the same contract, checked by one conformance suite: an entry past `staleUntil` is
 * absent, keys live under `<namespace>:<kind>:<key>`, values round-trip
 * through their codec.
 */
export interface CacheTier {
  readonly level: "l1" | "l2"
  readonly get: <A>(
    kind: CacheKind,
    key: string,
    codec: CacheCodec<A>,
    now: number
  ) => Effect.Effect<Option.Option<CacheEntry<A>>, CacheTierError>
  readonly set: (kind: CacheKind, key: string, entry: CacheEntry<unknown>, now: number) => Effect.Effect<void, CacheTierError>
  readonly delete: (kind: CacheKind, key: string) => Effect.Effect<void, CacheTierError>
  /** Deletes every entry of `kind` whose key starts with `prefix`; returns how many. */
  readonly deletePrefix: (kind: CacheKind, prefix: string) => Effect.Effect<number, CacheTierError>
}
