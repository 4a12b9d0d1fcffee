/**
 * A bounded map in least-recently-used order with an expiry per entry. Plain
 * data structure: the cache service owns it and does the accounting.
 * JavaScript's Map iterates in insertion order, so re-inserting on access
 * keeps the least recently used entry first.
 */
export interface LruEntry<A> {
  readonly value: A
  readonly expiresAt: number
}

export class LruTable<A> {
  private readonly entries = new Map<string, LruEntry<A>>()
  readonly maxEntries: number

  constructor(maxEntries: number) {
    this.maxEntries = maxEntries
  }

  get size(): number {
    return this.entries.size
  }

  /** The live entry for `key`; an expired one is dropped and reported as absent. */
  get(key: string, now: number): LruEntry<A> | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    this.entries.delete(key)
    if (entry.expiresAt <= now) return undefined
    this.entries.set(key, entry)
    return entry
  }

  /** Stores an entry; returns how many older entries were evicted to make room. */
  set(key: string, value: A, expiresAt: number): number {
    this.entries.delete(key)
    this.entries.set(key, { value, expiresAt })
    let evicted = 0
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!)
      evicted++
    }
    return evicted
  }

  delete(key: string): boolean {
    return this.entries.delete(key)
  }

  /** Deletes every key starting with `prefix`; returns how many. */
  deletePrefix(prefix: string): number {
    let n = 0
    for (const key of this.entries.keys()) {
      if (key.startsWith(prefix)) {
        this.entries.delete(key)
        n++
      }
    }
    return n
  }
}
