import { assert, describe, layer } from "@effect/vitest"
import { Clock, Effect, Redacted } from "effect"
import { Accounts } from "../../src/Auth/Accounts.ts"
import { Clients } from "../../src/Auth/Clients.ts"
import * as Totp from "../../src/Auth/Totp.ts"
import { basicOf } from "../support/AuthTest.ts"
import { Browser } from "../support/Browser.ts"
import { promValue } from "../support/PromText.ts"
import { serverPort } from "../support/RawHttp.ts"
import { testApp } from "../support/TestApp.ts"
import { freshPostgres } from "../support/TestDatabase.ts"

// The counters of issue 11 move with what they count: tokens_issued_total,
// login_attempts_total{outcome}, mfa_verifications_total{outcome},
// auth_cache_hits_total / auth_cache_misses_total, rate_limited_total{scope}.
describe("auth metrics", () => {
  layer(testApp(freshPostgres(), { as: "anonymous" }), { timeout: "60 seconds", excludeTestServices: true })("metrics", (it) => {
    it.effect("tokens issued, logins and MFA checks by outcome, cache hits, rate limits: each counted once per event", () =>
      Effect.gen(function*() {
        const b = new Browser(`http://127.0.0.1:${yield* serverPort}`)
        const snapshot = Effect.map(b.get("/metrics"), (m) => {
          assert.strictEqual(m.status, 200)
          return (name: string, labels: Record<string, string> = {}) => promValue(m.body, name, labels)
        })
        const before = yield* snapshot

        const clients = yield* Clients
        const { client, secret } = yield* clients.add({ name: "counted", role: "viewer", rateLimit: 4 }, "test")
        const issue = b.request("/oauth/token", { method: "POST", form: { grant_type: "client_credentials" }, headers: { authorization: basicOf(client.clientId, secret) } })
        const token = (yield* issue).body.access_token as string
        assert.strictEqual((yield* issue).status, 200)
        // A quota of 4 per window, token requests included: the fifth request is refused.
        const bearer = { authorization: `Bearer ${token}` }
        assert.strictEqual((yield* b.get("/v1/sources", bearer)).status, 200)
        assert.strictEqual((yield* b.get("/v1/sources", bearer)).status, 200)
        assert.strictEqual((yield* b.get("/v1/sources", bearer)).status, 429)

        yield* (yield* Accounts).add({ username: "mia", role: "viewer", password: Redacted.make("mia's long passphrase") })
        assert.strictEqual((yield* b.login("mia", "not mia's passphrase")).status, 401)
        const person = new Browser(b.base)
        assert.strictEqual((yield* person.login("mia", "mia's long passphrase")).status, 200)
        const enrol = yield* person.post("/v1/auth/mfa/enrol", {}, { csrf: true })
        const key = Totp.base32Decode(enrol.body.data.secret)!
        const code = Totp.hotp(key, Totp.stepAt(yield* Clock.currentTimeMillis))
        assert.strictEqual((yield* person.post("/v1/auth/mfa/verify", { code }, { csrf: true })).status, 200)
        const second = new Browser(b.base)
        assert.strictEqual((yield* second.login("mia", "mia's long passphrase")).body.data.status, "mfa_required")
        assert.strictEqual((yield* second.login("mia", "mia's long passphrase", code)).status, 401, "the code was used")

        const after = yield* snapshot
        const delta = (name: string, labels: Record<string, string> = {}) => after(name, labels) - before(name, labels)
        assert.strictEqual(delta("tokens_issued_total"), 2)
        assert.strictEqual(delta("rate_limited_total", { scope: "client" }), 1)
        // Issued here, so every later use of the token is answered by this process.
        assert.isAtLeast(delta("auth_cache_hits_total", { cache: "token", level: "local" }), 3)
        assert.strictEqual(delta("login_attempts_total", { outcome: "failure" }), 2, "the wrong password, the replayed code")
        assert.strictEqual(delta("login_attempts_total", { outcome: "success" }), 1)
        assert.strictEqual(delta("login_attempts_total", { outcome: "mfa_required" }), 1)
        assert.strictEqual(delta("mfa_verifications_total", { outcome: "success" }), 1)
        assert.strictEqual(delta("mfa_verifications_total", { outcome: "replay" }), 1)
        // Without Redis, a session's first request reads the store.
        assert.isAtLeast(delta("auth_cache_hits_total", { cache: "session" }) + delta("auth_cache_misses_total", { cache: "session" }), 2)
      }))
  })
})
