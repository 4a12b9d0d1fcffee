import * as Crypto from "node:crypto"

/**
 * Secrets are compared as SHA-256 digests: always 32 bytes whatever the input
 * (any length, any characters), so `timingSafeEqual` never throws and the
 * comparison takes the same time for every wrong value; nothing about the
 * expected secret's length leaks.
 */
export const sha256 = (text: string): Buffer => Crypto.hash("sha256", text, "buffer")

/** The digest as base64url text: the form stored for tokens, sessions and codes. */
export const sha256Text = (text: string): string => Crypto.hash("sha256", text, "base64url")

/** Constant-time equality of two digests; false (never a throw) when their lengths differ. */
export const digestsEqual = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && Crypto.timingSafeEqual(a, b)

/** Constant-time equality of a presented secret and an expected one, by their digests. */
export const sameSecret = (presented: string, expected: string): boolean => digestsEqual(sha256(presented), sha256(expected))

/** Constant-time equality of two stored digest texts (base64url), e.g. a token's hash and a stored one. */
export const sameDigestText = (a: string, b: string): boolean => digestsEqual(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"))

/** `bytes` random bytes as base64url text (no padding): 32 bytes are 256 bits in 43 characters. */
export const randomToken = (bytes: number): string => Crypto.randomBytes(bytes).toString("base64url")
