import { assert, describe, layer } from "@effect/vitest"
import { Duration, Effect, Option, Redacted } from "effect"
import { Accounts } from "../../src/Auth/Accounts.ts"
import { issueToken, roomyQuotas } from "../support/AuthTest.ts"
import { Browser } from "../support/Browser.ts"
import { head, rawRequest, serverPort } from "../support/RawHttp.ts"
import { testApp } from "../support/TestApp.ts"
import { freshPglite } from "../support/TestDatabase.ts"

const browser = Effect.map(serverPort, (port) => new Browser(`http://127.0.0.1:${port}`))

const addUser = (username: string, password: string) =>
  Effect.flatMap(Accounts, (a) => a.add({ username, role: "viewer", password: Redacted.make(password) }))

describe("limits and hygiene", () => {
  layer(
    testApp(freshPglite(), {
      as: "anonymous",
      settings: {
        quotas: { ...roomyQuotas, anonymous: 5, viewer: 8 },
        login: { window: Duration.minutes(15), perIp: 12, perUsername: 3 },
        corsOrigins: ["https://dash.example.com"]
      }
    }),
    { timeout: "120 seconds", excludeTestServices: true }
  )("small quotas", (it) => {
    it.effect("brute force: a username's attempts are capped (429 + Retry-After); a browser that logged in as that user before is not held up", () =>
      Effect.gen(function*() {
        yield* addUser("fay", "fay's long passphrase")
        const known = yield* browser
        assert.strictEqual((yield* known.login("fay", "fay's long passphrase")).status, 200, "a first login gives this browser a device cookie")
        assert.isTrue(known.cookies.has("mg_device"))
        const attacker = yield* browser
        for (let i = 0; i < 2; i++) assert.strictEqual((yield* attacker.login("fay", `guess ${i}`)).status, 401)
        const held = yield* attacker.login("fay", "guess 3")
        assert.strictEqual(held.status, 429, JSON.stringify(held.body))
        assert.match(held.body.msg, /^too many login attempts for this username; try again in \d+ s/)
        assert.isAbove(Number(held.headers.get("retry-after")), 0)
        // Even the right password waits: the cap is on attempts, not on failures …
        assert.strictEqual((yield* (yield* browser).login("fay", "fay's long passphrase")).status, 429)
        // … except from the browser that carries fay's device cookie.
        const again = yield* known.login("fay", "fay's long passphrase")
        assert.strictEqual(again.status, 200, JSON.stringify(again.body))
      }))

    it.effect("brute force: one address is capped over every username", () =>
      Effect.gen(function*() {
        const b = yield* browser
        const statuses: Array<number> = []
        for (let i = 0; i < 12; i++) statuses.push((yield* b.login(`spray${i}`, "password123456")).status)
        // Attempts earlier in this file count too: the address is capped before twelve more.
        assert.include(statuses, 429)
        const last = yield* b.login("someone", "password123456")
        assert.strictEqual(last.status, 429)
        assert.match(last.body.msg, /^too many login attempts from this address/)
      }))

    it.effect("per-caller quotas: RateLimit-* headers on every answer, then 429 with Retry-After and a sentence", () =>
      Effect.gen(function*() {
        const b = yield* browser
        const first = yield* b.get("/v1/sources", { "x-forwarded-for": "203.0.113.9" })
        assert.strictEqual(first.status, 200)
        assert.strictEqual(first.headers.get("ratelimit-limit"), "5")
        const remaining = Number(first.headers.get("ratelimit-remaining"))
        assert.isAtMost(remaining, 4)
        assert.isAbove(Number(first.headers.get("ratelimit-reset")), 0)
        let answer = first
        for (let i = 0; i < 6 && answer.status === 200; i++) answer = yield* b.get("/v1/sources")
        assert.strictEqual(answer.status, 429)
        assert.strictEqual(answer.body.code, 429)
        assert.match(answer.body.msg, /^rate limit of 5 requests per 1m for this address \(anonymous\) exceeded; retry in \d+ s$/)
        assert.isAbove(Number(answer.headers.get("retry-after")), 0)
        assert.strictEqual(answer.headers.get("ratelimit-remaining"), "0")
        // X-Forwarded-For is not believed without TRUST_PROXY: the address is the socket's.
        assert.strictEqual((yield* b.get("/v1/sources", { "x-forwarded-for": "198.51.100.7" })).status, 429)
        // A signed-in caller has a quota of its own.
        const viewer = yield* issueToken("viewer")
        const own = yield* b.get("/v1/sources", { authorization: `Bearer ${viewer.token}` })
        assert.strictEqual(own.status, 200)
        assert.strictEqual(own.headers.get("ratelimit-limit"), "8")
      }))

    it.effect("security headers on API answers, /docs, /openapi.json; CORS only for listed origins", () =>
      Effect.gen(function*() {
        const port = yield* serverPort
        const api = yield* rawRequest(port, head("GET", "/health"))
        assert.strictEqual(api.headers["x-content-type-options"], "nosniff")
        assert.strictEqual(api.headers["x-frame-options"], "DENY")
        assert.strictEqual(api.headers["content-security-policy"], "default-src 'none'; frame-ancestors 'none'")
        assert.isUndefined(api.headers["strict-transport-security"], "no HSTS over plain HTTP")
        const docs = yield* rawRequest(port, head("GET", "/docs"))
        assert.strictEqual(docs.status, 200)
        assert.match(docs.headers["content-security-policy"]!, /script-src 'self' 'unsafe-inline'/)
        assert.match(docs.headers["content-security-policy"]!, /frame-ancestors 'none'/)
        assert.match(docs.headers["content-security-policy"]!, /connect-src 'self'/)
        const preflight = yield* rawRequest(port, head("OPTIONS", "/v1/quotes?symbols=600519.SH", {
          origin: "https://dash.example.com",
          "access-control-request-method": "GET",
          "access-control-request-headers": "authorization"
        }))
        assert.strictEqual(preflight.status, 204)
        assert.strictEqual(preflight.headers["access-control-allow-origin"], "https://dash.example.com")
        assert.match(preflight.headers["access-control-allow-headers"]!, /authorization/)
        const stranger = yield* rawRequest(port, head("OPTIONS", "/v1/quotes?symbols=600519.SH", {
          origin: "https://evil.example",
          "access-control-request-method": "GET"
        }))
        assert.strictEqual(stranger.status, 204)
        assert.isUndefined(stranger.headers["access-control-allow-origin"])
        const viewer = yield* issueToken("viewer")
        const cross = yield* rawRequest(port, head("GET", "/v1/sources", { origin: "https://dash.example.com", authorization: `Bearer ${viewer.token}` }))
        assert.strictEqual(cross.headers["access-control-allow-origin"], "https://dash.example.com")
        assert.match(cross.headers["access-control-expose-headers"]!, /ratelimit-remaining/)
      }))

    it.effect("request bodies over the limit: 413 with a sentence, declared or streamed", () =>
      Effect.gen(function*() {
        const port = yield* serverPort
        const big = "x".repeat(20 * 1024)
        const declared = yield* rawRequest(
          port,
          head("POST", "/v1/auth/login", { "content-type": "application/json", "content-length": String(big.length + 40) }),
          JSON.stringify({ username: big, password: "x" })
        )
        assert.strictEqual(declared.status, 413)
        assert.match(JSON.parse(declared.body).msg, /^the request body is \d+ bytes; this endpoint takes at most 16384 bytes$/)
        const body = JSON.stringify({ username: big, password: "x" })
        const chunked = yield* rawRequest(
          port,
          head("POST", "/v1/auth/login", { "content-type": "application/json", "transfer-encoding": "chunked" }),
          `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`
        )
        assert.strictEqual(chunked.status, 413, chunked.body)
        assert.strictEqual(JSON.parse(chunked.body).msg, "the request body is too large; this endpoint takes at most 16384 bytes")
      }))
  })

  layer(
    testApp(freshPglite(), { as: "anonymous", settings: { anonymousAccess: false, metricsToken: Option.some(Redacted.make("scrape-secret")) } }),
    { timeout: "120 seconds", excludeTestServices: true }
  )("anonymous access off", (it) => {
    it.effect("reads need credentials; /health, /ready, /docs and /openapi.json stay public; /metrics needs METRICS_TOKEN", () =>
      Effect.gen(function*() {
        const b = yield* browser
        const read = yield* b.get("/v1/quotes?symbols=600519.SH")
        assert.strictEqual(read.status, 401)
        assert.match(read.body.msg, /^this endpoint needs credentials: Authorization: Bearer <token from POST \/oauth\/token>, or the session cookie/)
        for (const path of ["/health", "/ready", "/docs", "/openapi.json"]) assert.strictEqual((yield* b.get(path)).status, 200, path)
        assert.strictEqual((yield* b.get("/metrics")).status, 401)
        assert.strictEqual((yield* b.get("/metrics", { authorization: "Bearer not-it" })).status, 401)
        const metrics = yield* b.get("/metrics", { authorization: "Bearer scrape-secret" })
        assert.strictEqual(metrics.status, 200)
        assert.match(metrics.body, /^tokens_issued_total 0$/m)
        const viewer = yield* issueToken("viewer")
        assert.strictEqual((yield* b.get("/v1/quotes?symbols=600519.SH", { authorization: `Bearer ${viewer.token}` })).status, 200)
      }))

    it.effect("the OpenAPI document declares both schemes, and which operations they guard", () =>
      Effect.gen(function*() {
        const spec = (yield* (yield* browser).get("/openapi.json")).body
        assert.strictEqual(spec.components.securitySchemes.bearer.type, "http")
        assert.strictEqual(spec.components.securitySchemes.bearer.scheme.toLowerCase(), "bearer")
        assert.match(spec.components.securitySchemes.bearer.description, /POST \/oauth\/token/)
        assert.strictEqual(spec.components.securitySchemes.session.type, "apiKey")
        assert.strictEqual(spec.components.securitySchemes.session.in, "cookie")
        assert.strictEqual(spec.components.securitySchemes.session.name, "mg_session")
        assert.deepStrictEqual(spec.paths["/v1/admin/jobs"].get.security, [{ bearer: [] }, { session: [] }])
        assert.deepStrictEqual(spec.paths["/v1/admin/audit"].get.security, [{ bearer: [] }, { session: [] }])
        assert.deepStrictEqual(spec.paths["/oauth/introspect"].post.security, [{ bearer: [] }, { session: [] }])
        for (const path of ["/health", "/oauth/token", "/v1/auth/login"]) {
          const operation = Object.values(spec.paths[path])[0] as { security?: ReadonlyArray<unknown> }
          assert.deepStrictEqual(operation.security ?? [], [], path)
        }
        assert.property(spec.paths["/oauth/token"].post.requestBody.content, "application/x-www-form-urlencoded")
      }))
  })
})
