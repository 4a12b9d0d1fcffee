import { assert, describe, layer } from "@effect/vitest"
import { Clock, Duration, Effect, Redacted } from "effect"
import { Accounts } from "../../src/Auth/Accounts.ts"
import { Clients } from "../../src/Auth/Clients.ts"
import * as Totp from "../../src/Auth/Totp.ts"
import { basicOf } from "../support/AuthTest.ts"
import { Browser } from "../support/Browser.ts"
import { head, type RawAnswer, rawRequest, serverPort } from "../support/RawHttp.ts"
import { testApp } from "../support/TestApp.ts"
import { freshPglite } from "../support/TestDatabase.ts"

// 10,000 malformed requests at the auth surface: bad Basic headers, huge and
// invalid bodies, unicode and injection strings in usernames, expired and
// forged tokens, replayed TOTP codes, garbage cookies and CSRF tokens. Not
// one may answer 5xx, and every 4xx must carry a sentence a person can act on.

const TOTAL = 10_000

/** Deterministic variety (no Math.random: a failure can be replayed). */
const pick = <A>(xs: ReadonlyArray<A>, i: number): A => xs[(i * 2654435761) % xs.length >>> 0]!

const nasty = [
  "' OR '1'='1", "admin'--", "admin\"; DROP TABLE users; --", "%27%20OR%201%3D1", "${jndi:ldap://x/a}", "../../etc/passwd", "<script>alert(1)</script>",
  "\u0000", "a\u0000b", "\u202Eadmin", "адмін", "管理员", "🙂🙃", "é".repeat(200), "x".repeat(5000), "", " ", "\t", "\\", "null", "[]", "{}", "admin\r\nX-Injected: 1"
]
const jsonBodies = (i: number): string =>
  pick([
    () => "{",
    () => "not json",
    () => "[]",
    () => "null",
    () => "123",
    () => JSON.stringify({ username: 5, password: [] }),
    () => JSON.stringify({ username: pick(nasty, i), password: pick(nasty, i + 1) }),
    () => JSON.stringify({ username: pick(nasty, i) }),
    () => JSON.stringify({ username: "admin", password: "x", totp: { $gt: "" } }),
    () => JSON.stringify({ username: "admin", password: "x".repeat(2000) }),
    () => `{"username":"a","password":"b",${"\"x\":1,".repeat(50)}"y":1}`,
    () => "\uFEFF{\"username\":\"a\",\"password\":\"b\"}",
    () => "{\"username\":\"\\ud800\",\"password\":\"b\"}"
  ], i)()

/** A sentence: words, not a bare status or a stack. */
const isSentence = (text: unknown) =>
  typeof text === "string" && text.length >= 12 && /\s/.test(text) && !/request failed with status|at [\w.]+ \(|Error:/.test(text)

describe("10,000 malformed auth requests", () => {
  layer(
    testApp(freshPglite(), { as: "anonymous", settings: { tokenTtl: Duration.seconds(1) } }),
    { timeout: "300 seconds", excludeTestServices: true }
  )("against one instance", (it) => {
    it.effect("no 5xx; every 4xx says, in a sentence, what to change", () =>
      Effect.gen(function*() {
        const port = yield* serverPort
        const b = new Browser(`http://127.0.0.1:${port}`)
        const clients = yield* Clients
        const accounts = yield* Accounts
        const { client, secret } = yield* clients.add({ name: "fuzz", role: "viewer", rateLimit: null }, "test")
        // Tokens that expire in a second: used after that, they are expired ones.
        const expired = yield* Effect.forEach([1, 2, 3], () =>
          Effect.map(
            b.request("/oauth/token", { method: "POST", form: { grant_type: "client_credentials" }, headers: { authorization: basicOf(client.clientId, secret) } }),
            (a) => a.body.access_token as string
          ))
        // A person with two-step verification, and a code of theirs already used.
        yield* accounts.add({ username: "mfa-user", role: "viewer", password: Redacted.make("mfa user passphrase") })
        const person = new Browser(b.base)
        yield* person.login("mfa-user", "mfa user passphrase")
        const enrol = yield* person.post("/v1/auth/mfa/enrol", {}, { csrf: true })
        const key = Totp.base32Decode(enrol.body.data.secret)!
        const used = Totp.hotp(key, Totp.stepAt(yield* Clock.currentTimeMillis))
        assert.strictEqual((yield* person.post("/v1/auth/mfa/verify", { code: used }, { csrf: true })).status, 200)
        const csrf = person.cookies.get("mg_csrf")!
        const session = person.cookies.get("mg_session")!
        yield* Effect.sleep("1100 millis")

        const requests: ReadonlyArray<(i: number) => readonly [Buffer, string]> = [
          // Bad Basic headers at the token endpoint.
          (i) => {
            const body = "grant_type=client_credentials"
            const auth = pick([
              "Basic", "Basic ", "Basic !!!!", `Basic ${Buffer.from("no-colon").toString("base64")}`, `Basic ${Buffer.from(`${pick(nasty, i)}:${pick(nasty, i + 3)}`).toString("base64")}`,
              `Basic ${Buffer.from(`${client.clientId}:wrong`).toString("base64")}`, `Basic ${"A".repeat(8000)}`, `Basic ${Buffer.from("%zz:%zz").toString("base64")}`,
              `basic ${Buffer.from(`${client.clientId}:${pick(nasty, i)}`).toString("base64")}`, "Digest username=x", pick(nasty, i)
            ], i)
            return [head("POST", "/oauth/token", { authorization: auth, "content-type": "application/x-www-form-urlencoded", "content-length": String(Buffer.byteLength(body)) }), body]
          },
          // Form bodies that are not what RFC 6749 asks.
          (i) => {
            const body = pick([
              "", "grant_type=", "grant_type=password&username=a&password=b", "grant_type=client_credentials&grant_type=x", `grant_type=client_credentials&scope=${encodeURIComponent(pick(nasty, i))}`,
              "%%%", "=&=&=", `client_id=${encodeURIComponent(pick(nasty, i))}&client_secret=x&grant_type=client_credentials`, "a".repeat(15000)
            ], i)
            const type = pick(["application/x-www-form-urlencoded", "application/json", "text/plain", "multipart/form-data; boundary=x"], i + 1)
            return [head("POST", pick(["/oauth/token", "/oauth/revoke", "/oauth/introspect"], i), { "content-type": type, "content-length": String(Buffer.byteLength(body)) }), body]
          },
          // Login bodies: invalid JSON, wrong types, unicode and injection strings, huge.
          (i) => {
            const body = pick([() => jsonBodies(i), () => "x".repeat(20_000), () => JSON.stringify({ username: "a".repeat(17_000), password: "b" })], i)()
            return [head("POST", pick(["/v1/auth/login", "/v1/auth/setup", "/v1/auth/mfa/verify", "/v1/auth/mfa/disable"], i), { "content-type": pick(["application/json", "text/plain", "application/x-www-form-urlencoded"], i), "content-length": String(Buffer.byteLength(body)) }), body]
          },
          // Expired, forged and mangled bearer tokens.
          (i) => {
            const token = pick([
              pick(expired, i), `${pick(expired, i).slice(0, -2)}xx`, `mgat_${"A".repeat(43)}`, "mgat_", "x", "é".repeat(48), pick(nasty, i), "a".repeat(300), `${pick(expired, i)} extra`,
              pick(expired, i).toUpperCase(), "\u0001\u0002"
            ], i)
            return [head("GET", pick(["/v1/quotes?symbols=600519.SH", "/v1/admin/jobs", "/v1/auth/me", "/v1/admin/audit", "/v1/bars/600519.SH"], i), { authorization: `${pick(["Bearer", "bearer", "BEARER", "Bearer  "], i)} ${token}` }), ""]
          },
          // Replayed and wrong TOTP codes, recovery-code lookalikes.
          (i) => {
            const body = JSON.stringify({ username: "mfa-user", password: "mfa user passphrase", totp: pick([used, used, "000000", "12345", "abcd-efgh-ijkl", pick(nasty, i), "1".repeat(64)], i) })
            return [head("POST", "/v1/auth/login", { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }), body]
          },
          // Garbage cookies and CSRF tokens on state-changing requests.
          (i) => {
            const cookie = pick([`mg_session=${session}`, `mg_session=${pick(nasty, i).replace(/[;\r\n]/g, "")}`, "mg_session=", `mg_session=${"z".repeat(43)}`, `mg_session=${session}; mg_session=x`, "=;=;", pick(nasty, i).replace(/[\r\n]/g, "")], i)
            const headers: Record<string, string> = { cookie, "content-type": "application/json", "content-length": "2" }
            if (i % 3 !== 0) headers["x-csrf-token"] = pick([csrf.slice(1), "", pick(nasty, i).replace(/[\r\n]/g, ""), "é".repeat(43)], i)
            if (i % 5 === 0) headers.origin = pick(["https://evil.example", "null", "not a url", "http://127.0.0.1:1"], i)
            return [head("POST", pick(["/v1/auth/logout", "/v1/auth/mfa/enrol", "/v1/admin/backfill", "/v1/bars/batch"], i), headers), "{}"]
          },
          // Odd query strings and paths on the admin endpoints.
          (i) => [
            head("GET", pick([
              `/v1/admin/audit?cursor=${encodeURIComponent(pick(nasty, i))}`, "/v1/admin/audit?limit=-1", "/v1/admin/audit?ip=999.1.1.1", `/v1/admin/users/${encodeURIComponent(pick(nasty, i))}/disable`,
              "/v1/admin/clients/mgc_%00/rotate", "/v1/auth/../admin/jobs", "/v1/admin/audit?from=tomorrow", "/oauth/token", "/v1/auth/login"
            ], i), { authorization: `Bearer mgat_${"B".repeat(43)}` }),
            ""
          ]
        ]

        const statuses = new Map<number, number>()
        const problems: Array<string> = []
        const check = (what: string, answer: RawAnswer) => {
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
          if (answer.status === 0 || answer.status >= 500) {
            problems.push(`${what} → ${answer.status} ${answer.body.slice(0, 300)}`)
            return
          }
          if (answer.status < 400) return
          let parsed: any
          try {
            parsed = JSON.parse(answer.body)
          } catch {
            problems.push(`${what} → ${answer.status} with a body that is not JSON: ${answer.body.slice(0, 200)}`)
            return
          }
          const sentence = parsed.msg ?? parsed.error_description ?? parsed.message
          if (!isSentence(sentence)) problems.push(`${what} → ${answer.status} without a sentence: ${answer.body.slice(0, 300)}`)
        }
        yield* Effect.forEach(
          Array.from({ length: TOTAL }, (_, i) => i),
          (i) => {
            const [h, body] = requests[i % requests.length]!(Math.floor(i / requests.length))
            return Effect.map(rawRequest(port, h, body), (answer) => check(h.toString("latin1").split("\r\n")[0]!.slice(0, 120), answer))
          },
          { concurrency: 16, discard: true }
        )
        const total = [...statuses.values()].reduce((s, n) => s + n, 0)
        yield* Effect.logWarning("malformed auth requests").pipe(Effect.annotateLogs({ total, statuses: JSON.stringify(Object.fromEntries(statuses)) }))
        assert.strictEqual(total, TOTAL)
        assert.deepStrictEqual(problems.slice(0, 20), [], `${problems.length} problems`)
        assert.isAbove(statuses.get(401) ?? 0, 1000)
        assert.isAbove(statuses.get(400) ?? 0, 1000)
      }), 300_000)
  })
})
