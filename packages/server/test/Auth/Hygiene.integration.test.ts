import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Path from "node:path"
import * as Totp from "../../src/Auth/Totp.ts"
import { basicOf } from "../support/AuthTest.ts"
import { Browser } from "../support/Browser.ts"
import { otlpReceiver } from "../support/OtlpReceiver.ts"
import { freePort } from "../support/RedisTest.ts"
import { spawnService } from "../support/ServiceProcess.ts"
import { tempDir } from "../support/TestDatabase.ts"

// A full auth run against the real process — password login, two-step
// enrolment and a TOTP login, recovery codes, a client made and rotated,
// tokens issued, used, introspected and revoked, logout — with every log line
// (debug level: one per request) and every span exported over OTLP. None of
// the secrets used may appear in either.
const ADMIN_PASSWORD = "hygiene admin passphrase 7d1f"

describe("no secret in a log line or a span", () => {
  it.live("passwords, cookies, CSRF tokens, client secrets, access tokens, TOTP secrets and codes, recovery codes: in neither", () =>
    Effect.gen(function*() {
      const receiver = yield* otlpReceiver
      const dir = yield* tempDir("mg-hygiene-")
      const port = yield* freePort
      const service = yield* spawnService({
        PORT: String(port),
        HOST: "127.0.0.1",
        DATA_DIR: Path.join(dir, "data"),
        LOG_LEVEL: "all",
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
        SKIP_INTEGRITY_CHECK: "1",
        PREWARM_COUNT: "0",
        SCHEDULER_ENABLED: "false",
        ADMIN_PASSWORD
      })
      yield* service.waitForLine((l) => l.includes("Listening on"), "60 seconds")
      const secrets: Array<string> = [ADMIN_PASSWORD]
      const b = new Browser(`http://127.0.0.1:${port}`)

      const login = yield* b.login("admin", ADMIN_PASSWORD)
      assert.strictEqual(login.status, 200, JSON.stringify(login.body))
      secrets.push(b.cookies.get("mg_session")!, b.cookies.get("mg_csrf")!, b.cookies.get("mg_device")!)
      const enrol = yield* b.post("/v1/auth/mfa/enrol", {}, { csrf: true })
      const secret: string = enrol.body.data.secret
      secrets.push(secret)
      const code = Totp.hotp(Totp.base32Decode(secret)!, Totp.stepAt(Date.now()))
      const verified = yield* b.post("/v1/auth/mfa/verify", { code }, { csrf: true })
      assert.strictEqual(verified.status, 200, JSON.stringify(verified.body))
      const recovery: Array<string> = verified.body.data.recovery_codes
      secrets.push(...recovery)
      // The code, replayed, is refused (and logged as a failure, not as itself).
      assert.strictEqual((yield* new Browser(b.base).login("admin", ADMIN_PASSWORD, code)).status, 401)
      const second = new Browser(b.base)
      assert.strictEqual((yield* second.login("admin", ADMIN_PASSWORD, recovery[0])).status, 200)
      secrets.push(second.cookies.get("mg_session")!, second.cookies.get("mg_csrf")!)

      const created = yield* b.post("/v1/admin/clients", { name: "hygiene", role: "admin" }, { csrf: true })
      assert.strictEqual(created.status, 201, JSON.stringify(created.body))
      const clientId: string = created.body.data.client.client_id
      const firstSecret: string = created.body.data.client_secret
      const rotated = yield* b.post(`/v1/admin/clients/${clientId}/rotate`, {}, { csrf: true })
      const clientSecret: string = rotated.body.data.client_secret
      secrets.push(firstSecret, clientSecret, basicOf(clientId, clientSecret).slice(6))
      const token = (yield* b.request("/oauth/token", { method: "POST", form: { grant_type: "client_credentials" }, headers: { authorization: basicOf(clientId, clientSecret) } })).body.access_token
      const formToken = (yield* b.request("/oauth/token", { method: "POST", form: { grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret } })).body.access_token
      secrets.push(token, formToken)
      // A wrong secret and a forged token, which must not be echoed either.
      const wrongSecret = "mgs_this-is-not-the-secret-but-must-not-be-logged"
      const forged = "mgat_forged-token-that-must-not-be-logged-either-0"
      secrets.push(wrongSecret, forged)
      yield* b.request("/oauth/token", { method: "POST", form: { grant_type: "client_credentials" }, headers: { authorization: basicOf(clientId, wrongSecret) } })
      assert.strictEqual((yield* b.get("/v1/quotes?symbols=600519.SH", { authorization: `Bearer ${token}` })).status, 200)
      assert.strictEqual((yield* b.get("/v1/quotes?symbols=600519.SH", { authorization: `Bearer ${forged}` })).status, 401)
      const introspected = yield* b.request("/oauth/introspect", { method: "POST", form: { token: formToken }, headers: { authorization: `Bearer ${token}` } })
      assert.isTrue(introspected.body.active)
      yield* b.request("/oauth/revoke", { method: "POST", form: { token: formToken }, headers: { authorization: basicOf(clientId, clientSecret) } })
      assert.strictEqual((yield* b.get("/v1/auth/me", { authorization: `Bearer ${formToken}` })).status, 401)
      assert.strictEqual((yield* b.post("/v1/auth/logout", {}, { csrf: true })).status, 200)

      service.child.kill("SIGTERM")
      assert.strictEqual(yield* service.exited, 0)

      const logs = service.lines.join("\n")
      const spans = receiver.bodies.join("\n")
      // Not vacuous: both hold the run (requests logged at debug, spans of the auth services exported).
      assert.include(logs, "\"route\":\"/oauth/token\"")
      assert.include(logs, "\"route\":\"/v1/auth/login\"")
      for (const name of ["Login.login", "Tokens.issue", "Passwords.verify", "Mfa.check", "Sessions.create"]) assert.include(spans, `"${name}"`, name)
      const leaks = secrets.flatMap((s) => [
        ...(logs.includes(s) ? [`a log line holds ${s.slice(0, 6)}…`] : []),
        ...(spans.includes(s) ? [`a span holds ${s.slice(0, 6)}…`] : [])
      ])
      assert.deepStrictEqual(leaks, [])
      assert.isAbove(secrets.length, 20)
    }), { timeout: 120_000 })
})
