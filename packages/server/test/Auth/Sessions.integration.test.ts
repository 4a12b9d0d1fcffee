import { assert, describe, layer } from "@effect/vitest"
import { Clock, Effect, Redacted } from "effect"
import { Accounts } from "../../src/Auth/Accounts.ts"
import { Audit } from "../../src/Auth/Audit.ts"
import * as Totp from "../../src/Auth/Totp.ts"
import { issueToken } from "../support/AuthTest.ts"
import { Browser } from "../support/Browser.ts"
import { serverPort } from "../support/RawHttp.ts"
import { testApp } from "../support/TestApp.ts"
import { freshPostgres } from "../support/TestDatabase.ts"

const browser = Effect.map(serverPort, (port) => new Browser(`http://127.0.0.1:${port}`))

const addUser = (username: string, role: "viewer" | "analyst" | "admin", password: string) =>
  Effect.gen(function*() {
    const added = yield* (yield* Accounts).add({ username, role, password: Redacted.make(password) })
    assert.strictEqual(added._tag, "Added")
    return added._tag === "Added" ? added.user : undefined!
  })

const expectMsg = (answer: { status: number; body: any }, status: number, msg: RegExp) => {
  assert.strictEqual(answer.status, status, JSON.stringify(answer.body))
  assert.strictEqual(answer.body.code, status)
  assert.isNull(answer.body.data)
  assert.match(answer.body.msg, msg)
}

/** The audit log once every row recorded so far is written. */
const auditEntries = (query: string) =>
  Effect.gen(function*() {
    yield* (yield* Audit).flush
    const admin = yield* issueToken("admin", "auditor")
    return yield* (yield* browser).get(`/v1/admin/audit${query}`, { authorization: `Bearer ${admin.token}` })
  })

describe("people: login, session cookie, CSRF, roles, two-step verification", () => {
  layer(testApp(freshPostgres(), { as: "anonymous" }), { timeout: "120 seconds", excludeTestServices: true })("sessions", (it) => {
    it.effect("login sets an HttpOnly SameSite=Lax session cookie and a script-readable CSRF cookie; /me says who", () =>
      Effect.gen(function*() {
        yield* addUser("ana", "analyst", "ana's long passphrase")
        const b = yield* browser
        expectMsg(yield* b.login("ana", "wrong passphrase!!"), 401, /^wrong username or password$/)
        expectMsg(yield* b.login("nobody", "ana's long passphrase"), 401, /^wrong username or password$/)
        const ok = yield* b.login("ANA", "ana's long passphrase")
        assert.strictEqual(ok.status, 200, JSON.stringify(ok.body))
        assert.strictEqual(ok.body.data.status, "ok")
        assert.strictEqual(ok.body.data.principal.name, "ana")
        assert.strictEqual(ok.body.data.principal.role, "analyst")
        const session = ok.setCookies.find((c) => c.startsWith("mg_session="))!
        const csrf = ok.setCookies.find((c) => c.startsWith("mg_csrf="))!
        assert.match(session, /; HttpOnly/)
        assert.match(session, /; SameSite=Lax/)
        assert.match(session, /; Path=\//)
        assert.notMatch(session, /; Secure/, "plain HTTP: not Secure (COOKIE_SECURE=auto)")
        assert.notMatch(csrf, /HttpOnly/)
        assert.strictEqual(ok.body.data.principal.csrf_token, b.cookies.get("mg_csrf"))
        assert.strictEqual(ok.headers.get("cache-control"), "no-store")
        const me = yield* b.get("/v1/auth/me")
        assert.strictEqual(me.body.data.kind, "user")
        assert.strictEqual(me.body.data.name, "ana")
        assert.strictEqual(me.body.data.csrf_token, b.cookies.get("mg_csrf"))
        // Analysts read lineage; not operator endpoints.
        assert.strictEqual((yield* b.get("/v1/lineage/600519.SH?date=2024-06-03")).status === 403, false)
        expectMsg(yield* b.get("/v1/admin/jobs"), 403, /^the analyst role does not allow this endpoint; it needs admin/)
      }))

    it.effect("cookie-authenticated POSTs need the CSRF header, and a same-site Origin; logout ends the session everywhere", () =>
      Effect.gen(function*() {
        yield* addUser("bo", "viewer", "bo's long passphrase")
        const b = yield* browser
        assert.strictEqual((yield* b.login("bo", "bo's long passphrase")).status, 200)
        expectMsg(yield* b.post("/v1/auth/logout"), 403, /send the CSRF token \(the mg_csrf cookie\) in the X-CSRF-Token header/)
        expectMsg(yield* b.post("/v1/auth/logout", {}, { headers: { "x-csrf-token": "forged" } }), 403, /does not match this session/)
        expectMsg(
          yield* b.post("/v1/auth/logout", {}, { csrf: true, headers: { origin: "https://evil.example" } }),
          403,
          /must come from this site's own pages \(not from https:\/\/evil\.example\)/
        )
        const cookie = b.cookies.get("mg_session")!
        const out = yield* b.post("/v1/auth/logout", {}, { csrf: true })
        assert.strictEqual(out.status, 200, JSON.stringify(out.body))
        assert.isFalse(b.cookies.has("mg_session"), "the cookie is cleared")
        // The old cookie replayed: the session is gone.
        expectMsg(yield* b.get("/v1/auth/me", { cookie: `mg_session=${cookie}` }), 401, /^the session has ended/)
        // Login from another site's page is refused too (login CSRF).
        expectMsg(
          yield* b.post("/v1/auth/login", { username: "bo", password: "bo's long passphrase" }, { headers: { origin: "https://evil.example" } }),
          403,
          /^log in from this site's own pages/
        )
      }))

    it.effect("roles: anonymous reads, a viewer cannot batch or administer, disabling a user ends their sessions at once", () =>
      Effect.gen(function*() {
        const carl = yield* addUser("carl", "viewer", "carl's long passphrase")
        const anonymous = yield* browser
        assert.strictEqual((yield* anonymous.get("/v1/quotes?symbols=600519.SH")).status, 200)
        expectMsg(yield* anonymous.get("/v1/admin/jobs"), 401, /^this endpoint needs the admin role: sign in/)
        expectMsg(yield* anonymous.post("/v1/bars/batch", { symbols: ["600519.SH"] }), 401, /needs the analyst role/)
        const b = yield* browser
        assert.strictEqual((yield* b.login("carl", "carl's long passphrase")).status, 200)
        expectMsg(yield* b.post("/v1/bars/batch", { symbols: ["600519.SH"] }, { csrf: true }), 403, /^the viewer role does not allow this endpoint; it needs analyst/)
        assert.strictEqual((yield* b.get("/v1/auth/me")).status, 200)
        yield* (yield* Accounts).setDisabled(carl.id, true)
        expectMsg(yield* b.get("/v1/auth/me"), 401, /^the session has ended/)
        expectMsg(yield* (yield* browser).login("carl", "carl's long passphrase"), 403, /^this account is disabled; ask an administrator/)
      }))

    it.effect("two-step verification: enrol, confirm, code needed at login, a used code refused, recovery codes once each", () =>
      Effect.gen(function*() {
        yield* addUser("dee", "viewer", "dee's long passphrase")
        const b = yield* browser
        const first = yield* b.login("dee", "dee's long passphrase")
        assert.strictEqual(first.status, 200, JSON.stringify(first.body))
        const enrol = yield* b.post("/v1/auth/mfa/enrol", {}, { csrf: true })
        assert.strictEqual(enrol.status, 200, JSON.stringify(enrol.body))
        const { otpauth_uri, secret } = enrol.body.data
        assert.include(otpauth_uri, `secret=${secret}`)
        const key = Totp.base32Decode(secret)!
        const codeNow = Effect.map(Clock.currentTimeMillis, (now) => Totp.hotp(key, Totp.stepAt(now)))
        expectMsg(yield* b.post("/v1/auth/mfa/verify", { code: "000000" === (yield* codeNow) ? "111111" : "000000" }, { csrf: true }), 400, /^wrong code/)
        expectMsg(yield* b.post("/v1/auth/mfa/verify", { code: "12345" }, { csrf: true }), 400, /code must be the 6 digits/)
        const used = yield* codeNow
        const on = yield* b.post("/v1/auth/mfa/verify", { code: used }, { csrf: true })
        assert.strictEqual(on.status, 200, JSON.stringify(on.body))
        const recovery: Array<string> = on.body.data.recovery_codes
        assert.strictEqual(recovery.length, 10)
        assert.strictEqual(new Set(recovery).size, 10)

        const fresh = yield* browser
        const needed = yield* fresh.login("dee", "dee's long passphrase")
        assert.strictEqual(needed.status, 200)
        assert.deepStrictEqual(needed.body.data, { status: "mfa_required" })
        assert.isFalse(fresh.cookies.has("mg_session"), "no session before the second factor")
        // The code that confirmed enrolment was used: replayed, it is refused.
        expectMsg(yield* fresh.login("dee", "dee's long passphrase", used), 401, /^this code was already used; wait for the next one/)
        expectMsg(yield* fresh.login("dee", "dee's long passphrase", "999999" === used ? "888888" : "999999"), 401, /^wrong code/)
        expectMsg(yield* fresh.login("dee", "wrong passphrase!!", recovery[0]), 401, /^wrong username or password$/)
        const byRecovery = yield* fresh.login("dee", "dee's long passphrase", recovery[0]!.toUpperCase())
        assert.strictEqual(byRecovery.status, 200, JSON.stringify(byRecovery.body))
        assert.isTrue(byRecovery.body.data.principal.mfa_enabled)
        expectMsg(yield* (yield* browser).login("dee", "dee's long passphrase", recovery[0]), 401, /^wrong code/)

        expectMsg(yield* fresh.post("/v1/auth/mfa/disable", { password: "dee's long passphrase", code: recovery[0] }, { csrf: true }), 400, /stays on/)
        const off = yield* fresh.post("/v1/auth/mfa/disable", { password: "dee's long passphrase", code: recovery[1] }, { csrf: true })
        assert.strictEqual(off.status, 200, JSON.stringify(off.body))
        const plain = yield* (yield* browser).login("dee", "dee's long passphrase")
        assert.strictEqual(plain.body.data.status, "ok")

        const entries = yield* auditEntries("?action=mfa.enabled&limit=10")
        assert.deepStrictEqual(entries.body.data.entries.map((e: any) => e.outcome).sort(), ["failure", "success"])
      }))

    it.effect("the audit log: logins with IP, user agent, request and trace ids; filters; cursor pagination without gaps or repeats", () =>
      Effect.gen(function*() {
        const eve = yield* addUser("eve", "viewer", "eve's long passphrase")
        const b = yield* browser
        for (let i = 0; i < 4; i++) yield* b.login("eve", "not her passphrase")
        const ok = yield* b.post("/v1/auth/login", { username: "eve", password: "eve's long passphrase" }, { headers: { "user-agent": "audit-test/1", "x-request-id": "req-eve-1" } })
        assert.strictEqual(ok.status, 200)
        const all = yield* auditEntries(`?user_id=${eve.id}&action=login&limit=500`)
        const entries: Array<any> = all.body.data.entries
        assert.deepStrictEqual(entries.map((e) => e.outcome), ["success", "failure", "failure", "failure", "failure"])
        const success = entries[0]
        assert.strictEqual(success.actor, "eve")
        assert.strictEqual(success.user_agent, "audit-test/1")
        assert.strictEqual(success.request_id, "req-eve-1")
        assert.match(success.trace_id, /^[0-9a-f]{32}$/)
        assert.match(success.ip_address, /^(127\.0\.0\.1|::1)$/)
        assert.strictEqual(entries[1].details.reason, "wrong password")

        // Two at a time, newest first: the pages add up to the whole list.
        const seen: Array<string> = []
        let cursor: string | null = null
        for (let page = 0; page < 10; page++) {
          const answer: any = yield* auditEntries(`?user_id=${eve.id}&limit=2${cursor === null ? "" : `&cursor=${cursor}`}`)
          seen.push(...answer.body.data.entries.map((e: any) => e.id))
          cursor = answer.body.data.next_cursor
          if (cursor === null) break
        }
        assert.deepStrictEqual(seen, entries.map((e) => e.id))
        assert.strictEqual((yield* auditEntries(`?ip=${success.ip_address}&action=login&outcome=failure&limit=500`)).body.data.entries.length >= 4, true)
        expectMsg(yield* auditEntries("?cursor=bm9wZQ"), 400, /^cursor must be the next_cursor of an earlier page$/)
        expectMsg(yield* auditEntries("?ip=1.2.3"), 400, /^ip must be an IPv4 or IPv6 address/)
        expectMsg(yield* auditEntries("?from=2025-02-01&to=2025-01-01"), 400, /^from must not be after to$/)
      }))
  })
})


