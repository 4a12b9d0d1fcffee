/**
 * A bounded in-process map whose entries are good until a time (Clock
 * millis). Insertion order is eviction order: at capacity the oldest entry
 * goes. Verified tokens, sessions and users sit here for a few seconds so a
 * request on the hot path costs a map lookup; invalidations delete at once.
 */
export class LocalCache<V> {
  private readonly entries = new Map<string, { readonly value: V; readonly until: number }>()
  private readonly capacity: number

  constructor(capacity: number) {
    this.capacity = capacity
  }

  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    if (entry.until <= now) {
      this.entries.delete(key)
      return undefined
    }
    return entry.value
  }

  set(key: string, value: V, until: number): void {
    this.entries.delete(key)
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next()
      if (oldest.done !== true) this.entries.delete(oldest.value)
    }
    this.entries.set(key, { value, until })
  }

  delete(key: string): void {
    this.entries.delete(key)
  }

  /** Drops every entry whose value matches (a revoked client's tokens, a disabled user's sessions). */
  deleteWhere(matches: (value: V) => boolean): void {
    for (const [key, entry] of this.entries) if (matches(entry.value)) this.entries.delete(key)
  }

  get size(): number {
    return this.entries.size
  }
}
