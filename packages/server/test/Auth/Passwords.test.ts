import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { OWASP_ARGON2ID, Passwords } from "../../src/Auth/Passwords.ts"

const password = Redacted.make("correct horse battery staple")

describe("Passwords (Argon2id, node:crypto)", () => {
  it.effect("hashes as a PHC string with OWASP's parameters; verifies the right password only", () =>
    Effect.gen(function*() {
      const passwords = yield* Passwords.make(OWASP_ARGON2ID, 2)
      const hash = yield* passwords.hash(password)
      assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
      assert.deepStrictEqual(yield* passwords.verify(password, hash), { ok: true, needsRehash: false })
      assert.deepStrictEqual(yield* passwords.verify(Redacted.make("correct horse battery stapler"), hash), { ok: false, needsRehash: false })
      // Two hashes of one password differ (random salt).
      assert.notStrictEqual(yield* passwords.hash(password), hash)
    }))

  it.effect("a hash made with other parameters still verifies, and asks to be rehashed", () =>
    Effect.gen(function*() {
      const old = yield* (yield* Passwords.make({ memoryKiB: 8_192, passes: 1, parallelism: 1 }, 1)).hash(password)
      assert.match(old, /^\$argon2id\$v=19\$m=8192,t=1,p=1\$/)
      const today = yield* Passwords.make(OWASP_ARGON2ID, 2)
      assert.deepStrictEqual(yield* today.verify(password, old), { ok: true, needsRehash: true })
      const rehashed = yield* today.hash(password)
      assert.deepStrictEqual(yield* today.verify(password, rehashed), { ok: true, needsRehash: false })
    }))

  it.effect("a stored value that is not a PHC string fails closed, without a throw", () =>
    Effect.gen(function*() {
      const passwords = yield* Passwords.make(OWASP_ARGON2ID, 2)
      for (const stored of ["", "plain", "$argon2id$v=19$m=19456,t=2,p=1$$", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"]) {
        assert.deepStrictEqual(yield* passwords.verify(password, stored), { ok: false, needsRehash: false }, stored)
      }
    }))
})
