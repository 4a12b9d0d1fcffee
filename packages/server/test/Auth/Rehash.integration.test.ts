import { assert, describe, layer } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { Accounts } from "../../src/Auth/Accounts.ts"
import { Passwords } from "../../src/Auth/Passwords.ts"
import { Browser } from "../support/Browser.ts"
import { serverPort } from "../support/RawHttp.ts"
import { testApp } from "../support/TestApp.ts"
import { freshPostgres } from "../support/TestDatabase.ts"

const passphrase = "an old but long passphrase"
const storedHash = (username: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ hash: string }>`SELECT password_hash AS hash FROM users WHERE username = ${username}`
    return rows[0]!.hash
  })

// A user whose stored hash was made with weaker (older) Argon2id parameters
// logs in: the login succeeds and the stored hash is replaced by one with
// today's OWASP parameters, which the next login verifies.
describe("password rehash on login", () => {
  layer(testApp(freshPostgres(), { as: "anonymous" }), { timeout: "60 seconds", excludeTestServices: true })("rehash", (it) => {
    it.effect("a hash with older Argon2id parameters is replaced at the next successful login, not at a failed one", () =>
      Effect.gen(function*() {
        yield* (yield* Accounts).add({ username: "olga", role: "viewer", password: Redacted.make(passphrase) })
        const old = yield* (yield* Passwords.make({ memoryKiB: 8_192, passes: 1, parallelism: 1 }, 1)).hash(Redacted.make(passphrase))
        const sql = yield* SqlClient.SqlClient
        yield* sql`UPDATE users SET password_hash = ${old} WHERE username = 'olga'`
        const b = new Browser(`http://127.0.0.1:${yield* serverPort}`)

        assert.strictEqual((yield* b.login("olga", "not the passphrase at all")).status, 401)
        assert.strictEqual(yield* storedHash("olga"), old, "a failed login changes nothing")

        const ok = yield* b.login("olga", passphrase)
        assert.strictEqual(ok.status, 200, JSON.stringify(ok.body))
        const rehashed = yield* storedHash("olga")
        assert.match(rehashed, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
        assert.notStrictEqual(rehashed, old)

        assert.strictEqual((yield* new Browser(b.base).login("olga", passphrase)).status, 200, "the new hash verifies")
        assert.strictEqual(yield* storedHash("olga"), rehashed, "a current hash is not rewritten")
      }))
  })
})
