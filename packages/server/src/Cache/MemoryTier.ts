import type { CacheEntry } from "./CacheEntry.ts"

interface Node {
  readonly group: string
  readonly key: string
  entry: CacheEntry<unknown>
  bytes: number
  /** Towards the least recently used end. */
  older: Node | undefined
  /** Towards the most recently used end. */
  newer: Node | undefined
}

/**
 * The in-process tier (L1): least recently used first out, bounded by entry
 * count and by bytes of serialised values. A plain data structure owned by the
 * cache service. Bytes are the UTF-8 size of the serialised value; the
 * decoded value held beside it roughly doubles the heap actually used
 * (docs/caching.md).
 *
 * Keys are two-level, (group, key): the cache uses the data kind as the group,
 * so a lookup hashes the caller's own key string and builds no composite key.
 * Recency is a doubly linked list through the entries, so a hit moves its
 * node with a few pointer writes instead of a Map delete and re-insert (the
 * difference is a few percent of the whole cache's CPU under bench/cache).
 */
export class MemoryTier {
  private readonly groups = new Map<string, Map<string, Node>>()
  private oldest: Node | undefined = undefined
  private newest: Node | undefined = undefined
  private count = 0
  private totalBytes = 0
  readonly maxEntries: number
  readonly maxBytes: number

  constructor(options: { readonly maxEntries: number; readonly maxBytes: number }) {
    this.maxEntries = options.maxEntries
    this.maxBytes = options.maxBytes
  }

  get size(): number {
    return this.count
  }

  get bytes(): number {
    return this.totalBytes
  }

  /** The entry if it may still be served (fresh or stale), now the most recently used; an expired one is dropped. */
  get<A>(group: string, key: string, now: number): CacheEntry<A> | undefined {
    const node = this.groups.get(group)?.get(key)
    if (node === undefined) return undefined
    if (node.entry.staleUntil <= now) {
      this.remove(node)
      return undefined
    }
    if (node !== this.newest) {
      this.unlink(node)
      this.append(node)
    }
    return node.entry as CacheEntry<A>
  }

  /** Stores an entry; returns how many older entries were evicted to stay within both bounds. */
  set(group: string, key: string, entry: CacheEntry<unknown>): number {
    this.delete(group, key)
    const bytes = Buffer.byteLength(entry.json, "utf8")
    // A value larger than the whole tier is not worth evicting everything for.
    if (bytes > this.maxBytes) return 0
    let keys = this.groups.get(group)
    if (keys === undefined) {
      keys = new Map()
      this.groups.set(group, keys)
    }
    const node: Node = { group, key, entry, bytes, older: undefined, newer: undefined }
    keys.set(key, node)
    this.append(node)
    this.count++
    this.totalBytes += bytes
    let evicted = 0
    while ((this.count > this.maxEntries || this.totalBytes > this.maxBytes) && this.oldest !== undefined) {
      this.remove(this.oldest)
      evicted++
    }
    return evicted
  }

  delete(group: string, key: string): boolean {
    const node = this.groups.get(group)?.get(key)
    if (node === undefined) return false
    this.remove(node)
    return true
  }

  /** Deletes every key of `group` starting with `prefix`; returns how many. */
  deletePrefix(group: string, prefix: string): number {
    const keys = this.groups.get(group)
    if (keys === undefined) return 0
    let n = 0
    for (const node of [...keys.values()]) {
      if (node.key.startsWith(prefix)) {
        this.remove(node)
        n++
      }
    }
    return n
  }

  private remove(node: Node): void {
    this.unlink(node)
    this.groups.get(node.group)?.delete(node.key)
    this.count--
    this.totalBytes -= node.bytes
  }

  private unlink(node: Node): void {
    if (node.older === undefined) this.oldest = node.newer
    else node.older.newer = node.newer
    if (node.newer === undefined) this.newest = node.older
    else node.newer.older = node.older
    node.older = undefined
    node.newer = undefined
  }

  private append(node: Node): void {
    node.older = this.newest
    if (this.newest === undefined) this.oldest = node
    else this.newest.newer = node
    this.newest = node
  }
}
