/**
 * A Bloom filter: "definitely absent" or "maybe present" in a few bits per
 * member. Sized for a false-positive rate; k positions per member by double
 * hashing of two 32-bit FNV-1a variants.
 */
export class BloomFilter {
  private readonly bits: Uint32Array
  private readonly size: number
  private readonly hashes: number

  constructor(members: Iterable<string>, expected: number, falsePositiveRate = 0.01) {
    const n = Math.max(1, expected)
    this.size = Math.max(64, Math.ceil((-n * Math.log(falsePositiveRate)) / Math.LN2 ** 2))
    this.hashes = Math.max(1, Math.round((this.size / n) * Math.LN2))
    this.bits = new Uint32Array(Math.ceil(this.size / 32))
    for (const m of members) this.add(m)
  }

  private positions(value: string, visit: (bit: number) => boolean | void): boolean {
    let h1 = 0x811c9dc5
    let h2 = 0x01000193
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i)
      h1 = Math.imul(h1 ^ c, 0x01000193)
      h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15)
    }
    const base = h1 >>> 0
    const step = (h2 | 1) >>> 0 // odd, so the k positions differ
    for (let i = 0; i < this.hashes; i++) {
      const bit = (base + i * step) % this.size
      if (visit(bit) === false) return false
    }
    return true
  }

  add(value: string): void {
    this.positions(value, (bit) => {
      this.bits[bit >>> 5]! |= 1 << (bit & 31)
    })
  }

  /** False: certainly not a member. True: probably one (rate ≈ the configured false positives). */
  mightContain(value: string): boolean {
    return this.positions(value, (bit) => (this.bits[bit >>> 5]! & (1 << (bit & 31))) !== 0)
  }
}
