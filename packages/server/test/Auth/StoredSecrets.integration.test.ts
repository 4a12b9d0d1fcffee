import { assert, describe, layer } from "@effect/vitest"
import { Clock, Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { Accounts } from "../../src/Auth/Accounts.ts"
import { Clients } from "../../src/Auth/Clients.ts"
import * as Totp from "../../src/Auth/Totp.ts"
import { basicOf } from "../support/AuthTest.ts"
import { Browser } from "../support/Browser.ts"
import { serverPort } from "../support/RawHttp.ts"
import { testApp } from "../support/TestApp.ts"
import { freshPostgres } from "../support/TestDatabase.ts"

const TABLES = ["users", "api_clients", "oauth_tokens", "sessions", "audit_logs", "auth_state"] as const

// What the store keeps of each secret is a hash: passwords (Argon2id),
// recovery codes and client secrets (keyed HMAC), access tokens and session
// cookies (SHA-256). Every row of every auth table, as text, holds none of
// the secrets handed out.
describe("secrets at rest", () => {
  layer(testApp(freshPostgres(), { as: "anonymous" }), { timeout: "60 seconds", excludeTestServices: true })("stored", (it) => {
    it.effect("no password, recovery code, client secret, access token, session cookie or CSRF token in any auth table", () =>
      Effect.gen(function*() {
        const password = "stored secrets passphrase 91c2"
        yield* (yield* Accounts).add({ username: "rita", role: "viewer", password: Redacted.make(password) })
        const b = new Browser(`http://127.0.0.1:${yield* serverPort}`)
        assert.strictEqual((yield* b.login("rita", password)).status, 200)
        const secrets: Array<string> = [password, b.cookies.get("mg_session")!, b.cookies.get("mg_csrf")!]
        const enrol = yield* b.post("/v1/auth/mfa/enrol", {}, { csrf: true })
        const code = Totp.hotp(Totp.base32Decode(enrol.body.data.secret)!, Totp.stepAt(yield* Clock.currentTimeMillis))
        const verified = yield* b.post("/v1/auth/mfa/verify", { code }, { csrf: true })
        assert.strictEqual(verified.status, 200, JSON.stringify(verified.body))
        const recovery: Array<string> = verified.body.data.recovery_codes
        secrets.push(...recovery)
        const second = new Browser(b.base)
        assert.strictEqual((yield* second.login("rita", password, recovery[0])).status, 200, "a recovery code works")
        secrets.push(second.cookies.get("mg_session")!)

        const { client, secret } = yield* (yield* Clients).add({ name: "stored", role: "viewer", rateLimit: null }, "test")
        const token = (yield* b.request("/oauth/token", { method: "POST", form: { grant_type: "client_credentials" }, headers: { authorization: basicOf(client.clientId, secret) } }))
          .body.access_token as string
        assert.strictEqual((yield* b.get("/v1/sources", { authorization: `Bearer ${token}` })).status, 200)
        secrets.push(secret, token)

        const sql = yield* SqlClient.SqlClient
        const found: Array<string> = []
        for (const table of TABLES) {
          const rows = yield* sql<{ row: string }>`SELECT t::text AS row FROM ${sql(table)} t`
          assert.isAbove(rows.length, 0, `${table} has rows`)
          for (const { row } of rows) {
            for (const s of secrets) if (row.includes(s)) found.push(`${table} holds ${s.slice(0, 6)}…`)
            // Recovery codes are compared normalised (no dash, lower case): look for that form too.
            for (const r of recovery) if (row.toLowerCase().includes(r.replace(/-/g, "").toLowerCase())) found.push(`${table} holds a recovery code`)
          }
        }
        assert.deepStrictEqual(found, [])
      }))
  })
})
