import { assert, describe, it } from "@effect/vitest"
import * as Totp from "../../src/Auth/Totp.ts"

// RFC 6238 Appendix B: the test vectors, for its three HMAC hashes, 8 digits,
// 30-second steps from T0 = 0. marketgate uses SHA-1 and 6 digits (the
// authenticator apps' default); the HOTP core is the same.
const seeds = {
  sha1: Buffer.from("12345678901234567890", "ascii"),
  sha256: Buffer.from("12345678901234567890123456789012", "ascii"),
  sha512: Buffer.from("1234567890123456789012345678901234567890123456789012345678901234", "ascii")
} as const

const vectors: ReadonlyArray<readonly [seconds: number, sha1: string, sha256: string, sha512: string]> = [
  [59, "94287082", "46119246", "90693936"],
  [1111111109, "07081804", "68084774", "25091201"],
  [1111111111, "14050471", "67062674", "99943326"],
  [1234567890, "89005924", "91819424", "93441116"],
  [2000000000, "69279037", "90698825", "38618901"],
  [20000000000, "65353130", "77737706", "47863826"]
]

describe("TOTP (RFC 6238)", () => {
  it("Appendix B vectors, SHA-1, SHA-256 and SHA-512", () => {
    for (const [seconds, sha1, sha256, sha512] of vectors) {
      const step = Totp.stepAt(seconds * 1000)
      assert.strictEqual(Totp.hotp(seeds.sha1, step, 8, "sha1"), sha1, `SHA-1 at ${seconds}`)
      assert.strictEqual(Totp.hotp(seeds.sha256, step, 8, "sha256"), sha256, `SHA-256 at ${seconds}`)
      assert.strictEqual(Totp.hotp(seeds.sha512, step, 8, "sha512"), sha512, `SHA-512 at ${seconds}`)
    }
  })

  it("6-digit codes are the last six digits of the 8-digit ones (the same truncation, mod 10^6)", () => {
    for (const [seconds, sha1] of vectors) {
      assert.strictEqual(Totp.hotp(seeds.sha1, Totp.stepAt(seconds * 1000)), sha1.slice(2), `at ${seconds}`)
    }
  })

  it("verify accepts the current step and one either side, nothing further, and says which step matched", () => {
    const at = 1111111111 * 1000
    const now = Totp.stepAt(at)
    for (const offset of [-1, 0, 1]) {
      assert.strictEqual(Totp.verify(seeds.sha1, Totp.hotp(seeds.sha1, now + offset), at), now + offset, `offset ${offset}`)
    }
    for (const offset of [-3, -2, 2, 3]) {
      assert.isUndefined(Totp.verify(seeds.sha1, Totp.hotp(seeds.sha1, now + offset), at), `offset ${offset}`)
    }
  })

  it("verify never throws on input that is not six digits", () => {
    for (const code of ["", "12345", "1234567", "abcdef", "１２３４５６", "12 456", "\u0000\u0000\u0000\u0000\u0000\u0000", "9".repeat(10_000)]) {
      assert.isUndefined(Totp.verify(seeds.sha1, code, Date.UTC(2025, 0, 1)), JSON.stringify(code.slice(0, 12)))
    }
  })

  it("base32 round-trips, and the otpauth URI carries what apps need", () => {
    const secret = Totp.base32Encode(seeds.sha1)
    assert.strictEqual(secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
    assert.deepStrictEqual(Totp.base32Decode(secret), seeds.sha1)
    assert.deepStrictEqual(Totp.base32Decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq"), seeds.sha1)
    assert.isUndefined(Totp.base32Decode("not base32!"))
    assert.strictEqual(Totp.newSecret().length, 32)
    assert.strictEqual(
      Totp.otpauthUri("marketgate", "ana", secret),
      `otpauth://totp/marketgate:ana?secret=${secret}&issuer=marketgate&algorithm=SHA1&digits=6&period=30`
    )
  })
})
