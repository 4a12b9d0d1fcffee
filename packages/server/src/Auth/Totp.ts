import * as Crypto from "node:crypto"

/**
 * TOTP (RFC 6238) over HOTP (RFC 4226): HMAC-SHA1, 30-second steps, 6 digits,
 * a code accepted for the step before and after the current one (clock
 * drift). `verify` answers which step matched, so the caller can refuse a
 * code whose step was already used (replay).
 */
export const STEP_SECONDS = 30
export const DIGITS = 6
export const WINDOW = 1

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

export const base32Encode = (bytes: Uint8Array): string => {
  let bits = 0
  let value = 0
  let out = ""
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31]
  return out
}

export const base32Decode = (text: string): Buffer | undefined => {
  const clean = text.replace(/[\s=]/g, "").toUpperCase()
  let bits = 0
  let value = 0
  const out: Array<number> = []
  for (const ch of clean) {
    const index = BASE32.indexOf(ch)
    if (index < 0) return undefined
    value = (value << 5) | index
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

/** HOTP value of `counter` (RFC 4226 §5.3), `digits` long, for any HMAC hash (RFC 6238 tests SHA-1, -256, -512). */
export const hotp = (key: Uint8Array, counter: number, digits = DIGITS, algorithm: "sha1" | "sha256" | "sha512" = "sha1"): string => {
  const message = Buffer.alloc(8)
  message.writeBigUInt64BE(BigInt(counter))
  const mac = Crypto.createHmac(algorithm, key).update(message).digest()
  const offset = mac[mac.length - 1]! & 0x0f
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!
  return String(binary % 10 ** digits).padStart(digits, "0")
}

export const stepAt = (unixMillis: number): number => Math.floor(unixMillis / 1000 / STEP_SECONDS)

/** The step whose code `code` is, within ±WINDOW steps of `unixMillis`; undefined when none. */
export const verify = (key: Uint8Array, code: string, unixMillis: number): number | undefined => {
  if (!/^\d{6}$/.test(code)) return undefined
  const now = stepAt(unixMillis)
  let matched: number | undefined
  // Every candidate is computed and compared, so the time taken says nothing about which matched.
  for (let step = now - WINDOW; step <= now + WINDOW; step++) {
    const expected = Buffer.from(hotp(key, step))
    if (Crypto.timingSafeEqual(expected, Buffer.from(code)) && matched === undefined) matched = step
  }
  return matched
}

/** A new 160-bit secret (RFC 4226 §4 recommends 160 bits), base32 as apps expect. */
export const newSecret = (): string => base32Encode(Crypto.randomBytes(20))

/** The otpauth URI authenticator apps scan (Google Authenticator's key-uri format). */
export const otpauthUri = (issuer: string, account: string, secret: string): string =>
  `otpauth://totp/${encodeURIComponent(issuer)}:${encodeURIComponent(account)}?secret=${secret}&issuer=${encodeURIComponent(issuer)}` +
  `&algorithm=SHA1&digits=${DIGITS}&period=${STEP_SECONDS}`
