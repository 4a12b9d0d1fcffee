import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { Clients } from "../../src/Auth/Clients.ts"
import { basicOf, issueToken } from "../support/AuthTest.ts"
import { Browser } from "../support/Browser.ts"
import { serverPort } from "../support/RawHttp.ts"
import { testApp } from "../support/TestApp.ts"
import { freshPostgres } from "../support/TestDatabase.ts"

const browser = Effect.map(serverPort, (port) => new Browser(`http://127.0.0.1:${port}`))

const newClient = (role: "viewer" | "analyst" | "admin") =>
  Effect.flatMap(Clients, (clients) => clients.add({ name: `${role} program`, role, rateLimit: null }, "test"))

/** RFC 6749 §5.2: JSON with `error` (one of the codes) and a human `error_description`; never cached. */
const expectOAuthError = (answer: { status: number; body: any; headers: Headers }, status: number, error: string, description?: RegExp) => {
  assert.strictEqual(answer.status, status, JSON.stringify(answer.body))
  assert.deepStrictEqual(Object.keys(answer.body).sort(), ["error", "error_description"])
  assert.strictEqual(answer.body.error, error)
  assert.isAbove(answer.body.error_description.length, 10)
  if (description !== undefined) assert.match(answer.body.error_description, description)
  assert.strictEqual(answer.headers.get("cache-control"), "no-store")
  assert.match(answer.headers.get("content-type") ?? "", /^application\/json/)
}

describe("OAuth 2.0 client credentials, revocation and introspection", () => {
  layer(testApp(freshPostgres(), { as: "anonymous" }), { timeout: "120 seconds", excludeTestServices: true })("/oauth", (it) => {
    it.effect("POST /oauth/token: Basic or form authentication, scope, the RFC 6749 answer", () =>
      Effect.gen(function*() {
        const { client, secret } = yield* newClient("analyst")
        const b = yield* browser
        const byBasic = yield* b.request("/oauth/token", { method: "POST", form: { grant_type: "client_credentials" }, headers: { authorization: basicOf(client.clientId, secret) } })
        assert.strictEqual(byBasic.status, 200, JSON.stringify(byBasic.body))
        assert.strictEqual(byBasic.body.token_type, "Bearer")
        assert.strictEqual(byBasic.body.expires_in, 3600)
        assert.strictEqual(byBasic.body.scope, "analyst")
        assert.match(byBasic.body.access_token, /^mgat_[A-Za-z0-9_-]{43}$/, "256 random bits")
        assert.strictEqual(byBasic.headers.get("cache-control"), "no-store")
        assert.strictEqual(byBasic.headers.get("pragma"), "no-cache")
        const byForm = yield* b.request("/oauth/token", {
          method: "POST",
          form: { grant_type: "client_credentials", client_id: client.clientId, client_secret: secret, scope: "viewer" }
        })
        assert.strictEqual(byForm.status, 200, JSON.stringify(byForm.body))
        assert.strictEqual(byForm.body.scope, "viewer")
        // A narrower scope is a narrower token.
        const viewer = { authorization: `Bearer ${byForm.body.access_token}` }
        assert.strictEqual((yield* b.get("/v1/quotes?symbols=600519.SH", viewer)).status, 200)
        assert.strictEqual((yield* b.get("/v1/lineage/600519.SH?date=2024-06-03", viewer)).status, 403)
        assert.notStrictEqual((yield* b.get("/v1/lineage/600519.SH?date=2024-06-03", { authorization: `Bearer ${byBasic.body.access_token}` })).status, 403)
        const me = yield* b.get("/v1/auth/me", viewer)
        assert.deepStrictEqual(me.body.data, { kind: "client", id: client.clientId, name: "analyst program", role: "viewer" })
      }))

    it.effect("every refusal of /oauth/token is an RFC 6749 §5.2 error with the right code and status", () =>
      Effect.gen(function*() {
        const { client, secret } = yield* newClient("viewer")
        const b = yield* browser
        const token = (form: Record<string, string>, headers: Record<string, string> = {}) => b.request("/oauth/token", { method: "POST", form, headers })
        const basic = { authorization: basicOf(client.clientId, secret) }
        expectOAuthError(yield* token({}, basic), 400, "invalid_request", /grant_type is missing/)
        expectOAuthError(yield* token({ grant_type: "password" }, basic), 400, "unsupported_grant_type")
        expectOAuthError(yield* token({ grant_type: "client_credentials", scope: "admin" }, basic), 400, "invalid_scope", /may not have the admin scope/)
        expectOAuthError(yield* token({ grant_type: "client_credentials", scope: "root" }, basic), 400, "invalid_scope", /unknown scope root/)
        const noAuth = yield* token({ grant_type: "client_credentials" })
        expectOAuthError(noAuth, 401, "invalid_client")
        const wrong = yield* token({ grant_type: "client_credentials" }, { authorization: basicOf(client.clientId, "mgs_wrong") })
        expectOAuthError(wrong, 401, "invalid_client", /wrong secret/)
        assert.match(wrong.headers.get("www-authenticate") ?? "", /^Basic realm="marketgate"/, "a Basic attempt gets the challenge")
        expectOAuthError(yield* token({ grant_type: "client_credentials", client_id: client.clientId, client_secret: secret }, basic), 400, "invalid_request", /not both/)
        expectOAuthError(yield* token({ grant_type: "client_credentials" }, { authorization: "Basic !!!" }), 401, "invalid_client")
        expectOAuthError(yield* token({ grant_type: "client_credentials" }, { authorization: "Bearer x" }), 401, "invalid_client")
        const json = yield* b.request("/oauth/token", { method: "POST", json: { grant_type: "client_credentials" }, headers: basic })
        expectOAuthError(json, 400, "invalid_request", /application\/x-www-form-urlencoded/)
        const twice = yield* b.request("/oauth/token", {
          method: "POST",
          headers: { ...basic, "content-type": "application/x-www-form-urlencoded" },
          text: "grant_type=client_credentials&grant_type=client_credentials"
        })
        expectOAuthError(twice, 400, "invalid_request", /grant_type is sent more than once/)
        // A revoked client is an unknown one.
        yield* (yield* Clients).revoke(client.clientId)
        expectOAuthError(yield* token({ grant_type: "client_credentials" }, basic), 401, "invalid_client")
      }))

    it.effect("RFC 7009: a client revokes its own token (refused at once after); another client's revocation changes nothing", () =>
      Effect.gen(function*() {
        const mine = yield* newClient("viewer")
        const other = yield* newClient("viewer")
        const b = yield* browser
        const issue = (c: typeof mine) =>
          Effect.map(b.request("/oauth/token", { method: "POST", form: { grant_type: "client_credentials" }, headers: { authorization: basicOf(c.client.clientId, c.secret) } }), (a) => a.body.access_token as string)
        const token = yield* issue(mine)
        const read = () => b.get("/v1/quotes?symbols=600519.SH", { authorization: `Bearer ${token}` })
        assert.strictEqual((yield* read()).status, 200)
        const revoke = (c: typeof mine, t: string) =>
          b.request("/oauth/revoke", { method: "POST", form: { token: t, token_type_hint: "access_token" }, headers: { authorization: basicOf(c.client.clientId, c.secret) } })
        const byOther = yield* revoke(other, token)
        assert.strictEqual(byOther.status, 200, "RFC 7009 §2.2: 200 even when nothing was revoked")
        assert.strictEqual((yield* read()).status, 200)
        assert.strictEqual((yield* revoke(mine, "mgat_not-a-token")).status, 200)
        const done = yield* revoke(mine, token)
        assert.strictEqual(done.status, 200)
        const refused = yield* read()
        assert.strictEqual(refused.status, 401)
        assert.match(refused.body.msg, /^the access token was revoked: get a new one from POST \/oauth\/token/)
        expectOAuthError(yield* b.request("/oauth/revoke", { method: "POST", form: { token } }), 401, "invalid_client")
        expectOAuthError(
          yield* b.request("/oauth/revoke", { method: "POST", form: {}, headers: { authorization: basicOf(mine.client.clientId, mine.secret) } }),
          400,
          "invalid_request",
          /token is missing/
        )
      }))

    it.effect("RFC 7662: admins introspect a token; others may not", () =>
      Effect.gen(function*() {
        const admin = yield* issueToken("admin")
        const viewer = yield* issueToken("viewer")
        const b = yield* browser
        const introspect = (as: string, token: string) =>
          b.request("/oauth/introspect", { method: "POST", form: { token }, headers: { authorization: `Bearer ${as}` } })
        const active = yield* introspect(admin.token, viewer.token)
        assert.strictEqual(active.status, 200, JSON.stringify(active.body))
        assert.strictEqual(active.body.active, true)
        assert.strictEqual(active.body.client_id, viewer.clientId)
        assert.strictEqual(active.body.scope, "viewer")
        assert.strictEqual(active.body.exp - active.body.iat, 3600)
        assert.deepStrictEqual((yield* introspect(admin.token, "mgat_forged")).body, { active: false })
        const denied = yield* introspect(viewer.token, admin.token)
        assert.strictEqual(denied.status, 403)
        assert.strictEqual((yield* b.request("/oauth/introspect", { method: "POST", form: { token: admin.token } })).status, 401)
      }))

    it.effect("admin client management: the secret is shown once, rotation retires the old one, revocation its tokens", () =>
      Effect.gen(function*() {
        const admin = yield* issueToken("admin")
        const b = yield* browser
        const as = { authorization: `Bearer ${admin.token}` }
        const created = yield* b.request("/v1/admin/clients", { method: "POST", json: { name: "nightly job", role: "viewer", rate_limit: 100 }, headers: as })
        assert.strictEqual(created.status, 201, JSON.stringify(created.body))
        const { client, client_secret } = created.body.data
        assert.match(client_secret, /^mgs_[A-Za-z0-9_-]{43}$/)
        const listed = yield* b.get("/v1/admin/clients", as)
        assert.notInclude(JSON.stringify(listed.body), client_secret, "never shown again")
        const tokenFor = (secret: string) =>
          b.request("/oauth/token", { method: "POST", form: { grant_type: "client_credentials" }, headers: { authorization: basicOf(client.client_id, secret) } })
        const first = (yield* tokenFor(client_secret)).body.access_token
        const rotated = yield* b.request(`/v1/admin/clients/${client.client_id}/rotate`, { method: "POST", headers: as })
        assert.strictEqual(rotated.status, 200)
        expectOAuthError(yield* tokenFor(client_secret), 401, "invalid_client")
        assert.strictEqual((yield* tokenFor(rotated.body.data.client_secret)).status, 200)
        assert.strictEqual((yield* b.get("/v1/quotes?symbols=600519.SH", { authorization: `Bearer ${first}` })).status, 200, "issued tokens outlive a rotation")
        const revoked = yield* b.request(`/v1/admin/clients/${client.client_id}/revoke`, { method: "POST", headers: as })
        assert.strictEqual(revoked.status, 200)
        assert.isString(revoked.body.data.revoked_at)
        assert.strictEqual((yield* b.get("/v1/quotes?symbols=600519.SH", { authorization: `Bearer ${first}` })).status, 401)
        const missing = yield* b.request("/v1/admin/clients/mgc_nosuchclient/rotate", { method: "POST", headers: as })
        assert.strictEqual(missing.status, 404)
        assert.match(missing.body.msg, /^no live client mgc_nosuchclient/)
      }))
  })
})
