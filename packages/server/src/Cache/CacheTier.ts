import { Data, Effect, Option } from "effect"
import type { CacheCodec, CacheEntry } from "./CacheEntry.ts"
import type { CacheKind } from "./CachePolicy.ts"
import { MemoryTier } from "./MemoryTier.ts"

/** A tier could not answer (Redis down, slow, or a value that does not decode). */
export class CacheTierError extends Data.TaggedError("CacheTierError")<{
  readonly level: "l1" | "l2"
  readonly operation: string
  readonly reason: string
}> {}

/**
 * One level of the cache. Every tier (process memory, Redis) answers the same
 * contract, checked by one conformance suite: an entry past `staleUntil` is
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

/** A MemoryTier group per namespace and kind: entry `<namespace>:<kind>:<key>` is (`<namespace>:<kind>`, key). */
export const memoryGroup = (namespace: string, kind: CacheKind) => `${namespace}:${kind}`

/** The L1 tier over a `MemoryTier`; `onEvict` hears how many entries each write pushed out. */
export const memoryCacheTier = (
  memory: MemoryTier,
  namespace: string,
  onEvict: (kind: CacheKind, evicted: number) => void = () => {}
): CacheTier => ({
  level: "l1",
  get: <A>(kind: CacheKind, key: string, _codec: CacheCodec<A>, now: number) =>
    Effect.sync(() => Option.fromNullishOr(memory.get<A>(memoryGroup(namespace, kind), key, now))),
  set: (kind, key, entry, now) =>
    Effect.sync(() => {
      // An entry already past its grace would only push out live ones.
      if (entry.staleUntil <= now) return
      const evicted = memory.set(memoryGroup(namespace, kind), key, entry)
      if (evicted > 0) onEvict(kind, evicted)
    }),
  delete: (kind, key) => Effect.sync(() => void memory.delete(memoryGroup(namespace, kind), key)),
  deletePrefix: (kind, prefix) => Effect.sync(() => memory.deletePrefix(memoryGroup(namespace, kind), prefix))
})
