import type { CacheEntry } from "./CacheEntry.ts"

/**
 * The in-process tier (L1): least recently used first out, bounded by entry
 * count and by bytes of serialised values. A plain data structure owned by the
 * cache service. Bytes are the UTF-8 size of the serialised value; the
 * decoded value held beside it roughly doubles the heap actually used
 * (docs/caching.md). JavaScript's Map iterates in insertion order, so re-inserting
 * on access keeps the least recently used entry first.
 */
export class MemoryTier {
  private readonly entries = new Map<string, { readonly entry: CacheEntry<unknown>; readonly bytes: number }>()
  private totalBytes = 0
  readonly maxEntries: number
  readonly maxBytes: number

  constructor(options: { readonly maxEntries: number; readonly maxBytes: number }) {
    this.maxEntries = options.maxEntries
    this.maxBytes = options.maxBytes
  }

  get size(): number {
    return this.entries.size
  }

  get bytes(): number {
    return this.totalBytes
  }

  /** The entry if it may still be served (fresh or stale); an expired one is dropped. */
  get<A>(key: string, now: number): CacheEntry<A> | undefined {
    const found = this.entries.get(key)
    if (found === undefined) return undefined
    this.entries.delete(key)
    if (found.entry.staleUntil <= now) {
      this.totalBytes -= found.bytes
      return undefined
    }
    this.entries.set(key, found)
    return found.entry as CacheEntry<A>
  }

  /** Stores an entry; returns how many older entries were evicted to stay within both bounds. */
  set(key: string, entry: CacheEntry<unknown>): number {
    this.delete(key)
    const bytes = Buffer.byteLength(entry.json, "utf8")
    // A value larger than the whole tier is not worth evicting everything for.
    if (bytes > this.maxBytes) return 0
    this.entries.set(key, { entry, bytes })
    this.totalBytes += bytes
    let evicted = 0
    while (this.entries.size > this.maxEntries || this.totalBytes > this.maxBytes) {
      const [oldest, { bytes: b }] = this.entries.entries().next().value!
      this.entries.delete(oldest)
      this.totalBytes -= b
      evicted++
    }
    return evicted
  }

  delete(key: string): boolean {
    const found = this.entries.get(key)
    if (found === undefined) return false
    this.entries.delete(key)
    this.totalBytes -= found.bytes
    return true
  }

  /** Deletes every key starting with `prefix`; returns how many. */
  deletePrefix(prefix: string): number {
    let n = 0
    for (const key of [...this.entries.keys()]) {
      if (key.startsWith(prefix) && this.delete(key)) n++
    }
    return n
  }
}
