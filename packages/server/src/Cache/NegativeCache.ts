import type { CacheKind } from "./CachePolicy.ts"
import { MemoryTier } from "./MemoryTier.ts"

/** Bounds of the remembered negative answers: small values, many keys. */
const BOUNDS = { maxEntries: 10_000, maxBytes: 1_000_000 }

/**
 * Failures that are an answer ("no such symbol"), remembered per key in this
 * process for a short while, so a burst of requests for a key that does not
 * exist asks the loader once. Invalidations drop them with the L1 entries.
 */
export class NegativeCache {
  private readonly memory = new MemoryTier(BOUNDS)

  /** The remembered failure of `key`, if it has not expired. */
  get<E>(kind: CacheKind, key: string, now: number): E | undefined {
    return this.memory.get<E>(kind, key, now)?.value
  }

  remember(kind: CacheKind, key: string, error: unknown, until: number): void {
    this.memory.set(kind, key, { value: error, json: "", freshUntil: until, staleUntil: until })
  }

  delete(kind: CacheKind, key: string): void {
    this.memory.delete(kind, key)
  }

  deletePrefix(kind: CacheKind, prefix: string): void {
    this.memory.deletePrefix(kind, prefix)
  }
}
