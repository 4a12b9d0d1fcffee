import { BloomFilter } from "./BloomFilter.ts"

/**
 * Symbols no provider could confirm, remembered for a while: two Bloom
 * filters, the current one and the one before it, swapped every half `ttl`
 * or when the current one is full. A flood of made-up symbols costs a few
 * bits each, whatever its size, and each distinct one a single provider call;
 * a false positive (about 1 %) refuses an unknown real symbol until it ages
 * out, which is why only unconfirmed symbols go in.
 */
export class AbsentSymbols {
  private readonly capacity: number
  private readonly halfLifeMs: number
  private current: BloomFilter
  private previous: BloomFilter
  private added = 0
  private rotatedAt: number

  constructor(capacity: number, ttlMs: number, now: number) {
    this.capacity = capacity
    this.halfLifeMs = Math.max(1, ttlMs / 2)
    this.current = new BloomFilter([], capacity)
    this.previous = new BloomFilter([], capacity)
    this.rotatedAt = now
  }

  private rotate(now: number): void {
    const age = now - this.rotatedAt
    if (age < this.halfLifeMs && this.added < this.capacity) return
    // Idle for a whole ttl: what either filter holds has aged out.
    this.previous = age >= 2 * this.halfLifeMs ? new BloomFilter([], this.capacity) : this.current
    this.current = new BloomFilter([], this.capacity)
    this.added = 0
    this.rotatedAt = now
  }

  add(symbol: string, now: number): void {
    this.rotate(now)
    this.current.add(symbol)
    this.added++
  }

  /** True: probably confirmed absent within the last `ttl`. False: certainly not. */
  mightContain(symbol: string, now: number): boolean {
    this.rotate(now)
    return this.current.mightContain(symbol) || this.previous.mightContain(symbol)
  }
}
