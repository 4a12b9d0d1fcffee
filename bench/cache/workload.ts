/**
 * The workload both caches are driven with: a fixed universe of symbols, a
 * deterministic Zipf-distributed sequence of lookups, and the value a
 * simulated provider returns for a symbol (a `Quote`, ~300 bytes of JSON).
 */
import type { Quote } from "@marketgate/domain/Quote"
import { isSymbol, type Symbol } from "@marketgate/domain/Symbol"

/** mulberry32: a small, fast, seedable 32-bit PRNG; returns floats in [0, 1). */
export const prng = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Zipf(s) over ranks 1..n: P(rank k) = k^-s / H(n, s). Sampled by inverting
 * the cumulative distribution (binary search over n precomputed sums).
 */
export const zipfSampler = (n: number, s: number, random: () => number): (() => number) => {
  const cdf = new Float64Array(n)
  let sum = 0
  for (let k = 1; k <= n; k++) {
    sum += 1 / Math.pow(k, s)
    cdf[k - 1] = sum
  }
  for (let i = 0; i < n; i++) cdf[i] = cdf[i]! / sum
  return () => {
    const u = random()
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cdf[mid]! > u) hi = mid
      else lo = mid + 1
    }
    return lo // 0-based rank
  }
}

/** Share of lookups that go to the `top` most popular of `n` keys under Zipf(s). */
export const zipfHeadShare = (n: number, s: number, top: number): number => {
  let head = 0
  let all = 0
  for (let k = 1; k <= n; k++) {
    const w = 1 / Math.pow(k, s)
    all += w
    if (k <= top) head += w
  }
  return head / all
}

const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

const usTicker = (i: number): string => {
  // Bijective base 26: A … Z, AA … ZZ, AAA …
  let n = i + 1
  let out = ""
  while (n > 0 && out.length < 6) {
    n--
    out = letters[n % 26] + out
    n = Math.floor(n / 26)
  }
  return out
}

/** `count` distinct valid symbols: a mix of Shanghai, Shenzhen and US listings. */
export const makeSymbols = (count: number): ReadonlyArray<Symbol> => {
  const out: Array<Symbol> = []
  for (let i = 0; i < count; i++) {
    const s = i % 3 === 0
      ? `${600000 + Math.floor(i / 3)}.SH`
      : i % 3 === 1
      ? `${String(1 + Math.floor(i / 3)).padStart(6, "0")}.SZ`
      : `${usTicker(Math.floor(i / 3))}.US`
    if (!isSymbol(s)) throw new Error(`generated an invalid symbol: ${s}`)
    out.push(s)
  }
  if (new Set(out).size !== out.length) throw new Error("generated duplicate symbols")
  return out
}

/**
 * The lookup sequence: `length` symbol indices, Zipf(s) by popularity rank,
 * ranks mapped to symbols by a seeded shuffle (so the hot keys are not all
 * from one exchange). Identical for every run with the same seed.
 */
export const makeSequence = (keys: number, s: number, length: number, seed: number): Uint32Array => {
  const random = prng(seed)
  const rankToKey = Array.from({ length: keys }, (_, i) => i)
  for (let i = keys - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = rankToKey[i]!
    rankToKey[i] = rankToKey[j]!
    rankToKey[j] = t
  }
  const sample = zipfSampler(keys, s, random)
  const out = new Uint32Array(length)
  for (let i = 0; i < length; i++) out[i] = rankToKey[sample()]!
  return out
}

/** What the simulated provider answers for a symbol (deterministic figures, fresh timestamp). */
export const makeQuote = (symbol: Symbol, index: number, now: number): Quote => {
  const prevClose = 10 + (index % 997) * 1.37
  const change = ((index % 41) - 20) * 0.013 * prevClose / 10
  const price = Math.round((prevClose + change) * 100) / 100
  return {
    symbol,
    name: `Simulated Listed Company ${index} Holdings Co., Ltd. (Class A Common Stock)`,
    price,
    open: Math.round(prevClose * 100.3) / 100,
    high: Math.round(Math.max(price, prevClose) * 101.2) / 100,
    low: Math.round(Math.min(price, prevClose) * 98.9) / 100,
    prev_close: Math.round(prevClose * 100) / 100,
    change: Math.round((price - prevClose) * 100) / 100,
    change_pct: Math.round(((price - prevClose) / prevClose) * 10_000) / 100,
    volume: 1_000_000 + index * 7_919,
    amount: Math.round((1_000_000 + index * 7_919) * price * 100) / 100,
    status: "open",
    ts: new Date(now).toISOString()
  }
}
