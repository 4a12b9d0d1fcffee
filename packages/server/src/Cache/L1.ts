import { Effect, Option } from "effect"
import type { CacheCodec, CacheEntry } from "./CacheEntry.ts"
import type { CacheKind } from "./CachePolicy.ts"
import type { CacheTier } from "./CacheTier.ts"
import { MemoryTier } from "./MemoryTier.ts"

/**
 * The process-memory level: a `MemoryTier` keyed (kind, key), with the
 * synchronous calls MarketCache makes on its hot path (an L1 hit is one
 * synchronous step) and, over the very same calls, the `CacheTier` view that
 * the tier conformance suite checks. The namespace is not part of an L1 key:
 * an L1 belongs to one cache instance, which has one namespace.
 */
export class L1 {
  private readonly memory: MemoryTier
  private readonly onEvict: (kind: CacheKind, evicted: number) => void
  readonly tier: CacheTier

  constructor(
    bounds: { readonly maxEntries: number; readonly maxBytes: number },
    onEvict: (kind: CacheKind, evicted: number) => void = () => {}
  ) {
    this.memory = new MemoryTier(bounds)
    this.onEvict = onEvict
    this.tier = {
      level: "l1",
      get: <A>(kind: CacheKind, key: string, _codec: CacheCodec<A>, now: number) =>
        Effect.sync(() => Option.fromNullishOr(this.get<A>(kind, key, now))),
      set: (kind, key, entry, now) => Effect.sync(() => this.set(kind, key, entry, now)),
      delete: (kind, key) => Effect.sync(() => this.delete(kind, key)),
      deletePrefix: (kind, prefix) => Effect.sync(() => this.deletePrefix(kind, prefix))
    }
  }

  get size(): number {
    return this.memory.size
  }

  get bytes(): number {
    return this.memory.bytes
  }

  /** The entry if it may still be served (fresh or stale); an expired one is dropped. */
  get<A>(kind: CacheKind, key: string, now: number): CacheEntry<A> | undefined {
    return this.memory.get<A>(kind, key, now)
  }

  set(kind: CacheKind, key: string, entry: CacheEntry<unknown>, now: number): void {
    // An entry already past its grace would only push out live ones.
    if (entry.staleUntil <= now) return
    const evicted = this.memory.set(kind, key, entry)
    if (evicted > 0) this.onEvict(kind, evicted)
  }

  delete(kind: CacheKind, key: string): void {
    this.memory.delete(kind, key)
  }

  /** Deletes every entry of `kind` whose key starts with `prefix`; returns how many. */
  deletePrefix(kind: CacheKind, prefix: string): number {
    return this.memory.deletePrefix(kind, prefix)
  }
}
