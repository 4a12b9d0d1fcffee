/**
 * Counter-based randomness: every number is a pure function of its
 * coordinates (seed, instrument, day, stream), so any bar can be generated
 * without generating the ones before it, and twice gives the same answer.
 */

const mix32 = (h: number): number => {
  // murmur3 finaliser: full avalanche on 32 bits
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

export const hash32 = (a: number, b: number, c: number, d: number): number => {
  let h = mix32(a ^ 0x9e3779b9)
  h = mix32(h ^ Math.imul(b | 0, 0x27d4eb2f))
  h = mix32(h ^ Math.imul(c | 0, 0x165667b1))
  return mix32(h ^ Math.imul(d | 0, 0xd3a2646c))
}

/** Uniform in (0, 1). */
export const uniform = (a: number, b: number, c: number, d: number): number =>
  (hash32(a, b, c, d) + 0.5) / 4_294_967_296

/** Standard normal (Box–Muller on two independent uniforms). */
export const normal = (a: number, b: number, c: number, d: number): number => {
  const u1 = uniform(a, b, c, 2 * d)
  const u2 = uniform(a, b, c, 2 * d + 1)
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)
}

/** A stable 32-bit id of a string (FNV-1a). */
export const stringId = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}
