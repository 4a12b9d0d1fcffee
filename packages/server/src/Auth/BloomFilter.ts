import * as Crypto from "node:crypto"

/**
 * A Bloom filter over digests: "certainly absent" or "maybe present". The
 * members are already uniform digests (SHA-256 of a token, of a username), so
 * the k bit positions come from the digest's own bytes by double hashing; no
 * further hashing on the request path. Sized for `capacity` members at a 1 %
 * false-positive rate; past that the rate rises (the caller rebuilds bigger).
 */
export class DigestBloomFilter {
  private readonly bits: Uint32Array
  private readonly size: number
  private readonly hashes: number
  readonly capacity: number
  count = 0

  constructor(capacity: number, falsePositiveRate = 0.01) {
    this.capacity = Math.max(1, capacity)
    this.size = Math.max(64, Math.ceil((-this.capacity * Math.log(falsePositiveRate)) / Math.LN2 ** 2))
    this.hashes = Math.max(1, Math.round((this.size / this.capacity) * Math.LN2))
    this.bits = new Uint32Array(Math.ceil(this.size / 32))
  }

  /** Two 32-bit words of the digest (base64url text or raw), as the double-hashing pair. */
  private static pair(member: string): readonly [number, number] {
    const bytes = /^[A-Za-z0-9_-]{43}$/.test(member) ? Buffer.from(member, "base64url") : Crypto.hash("sha256", member, "buffer")
    return [bytes.readUInt32LE(0), (bytes.readUInt32LE(4) | 1) >>> 0]
  }

  add(member: string): void {
    const [h1, h2] = DigestBloomFilter.pair(member)
    for (let i = 0; i < this.hashes; i++) {
      const bit = (h1 + i * h2) % this.size
      this.bits[bit >>> 5]! |= 1 << (bit & 31)
    }
    this.count++
  }

  mightContain(member: string): boolean {
    const [h1, h2] = DigestBloomFilter.pair(member)
    for (let i = 0; i < this.hashes; i++) {
      const bit = (h1 + i * h2) % this.size
      if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false
    }
    return true
  }

  /** More members than it was sized for: time to rebuild a bigger one. */
  get saturated(): boolean {
    return this.count > this.capacity
  }
}
