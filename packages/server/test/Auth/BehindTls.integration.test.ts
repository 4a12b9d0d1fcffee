import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Redacted } from "effect"
import { Accounts } from "../../src/Auth/Accounts.ts"
import type { AuthOptions } from "../../src/Auth/AuthSettings.ts"
import { Browser } from "../support/Browser.ts"
import { serverPort } from "../support/RawHttp.ts"
import { testApp } from "../support/TestApp.ts"
import { freshPostgres } from "../support/TestDatabase.ts"

/** A login on a fresh instance with these settings and request headers: its cookies and security headers. */
const loginWith = (settings: Partial<AuthOptions>, headers: Record<string, string>) =>
  Effect.scoped(
    Effect.gen(function*() {
      const context = yield* Layer.build(testApp(freshPostgres(), { as: "anonymous", settings }))
      yield* Context.get(context, Accounts).add({ username: "tess", role: "viewer", password: Redacted.make("tess's long passphrase") })
      const b = new Browser(`http://127.0.0.1:${yield* Effect.provide(serverPort, context)}`)
      const answer = yield* b.request("/v1/auth/login", { method: "POST", json: { username: "tess", password: "tess's long passphrase" }, headers })
      assert.strictEqual(answer.status, 200, JSON.stringify(answer.body))
      const cookie = (name: string) => answer.setCookies.find((c) => c.startsWith(`${name}=`))!
      return { session: cookie("mg_session"), csrf: cookie("mg_csrf"), hsts: answer.headers.get("strict-transport-security") }
    })
  )

// Behind a TLS-terminating proxy (TRUST_PROXY=true, X-Forwarded-Proto: https)
// or with COOKIE_SECURE=always the cookies are Secure and HSTS is sent; a
// client's own X-Forwarded-Proto is not believed without TRUST_PROXY.
describe("cookies and HSTS behind TLS", () => {
  it.live("Secure cookies and HSTS when the proxy says https (TRUST_PROXY) or COOKIE_SECURE=always; neither from a forged header", () =>
    Effect.gen(function*() {
      const https = { "x-forwarded-proto": "https" }
      const proxied = yield* loginWith({ trustProxy: true }, https)
      assert.match(proxied.session, /; Secure/)
      assert.match(proxied.session, /; HttpOnly/)
      assert.match(proxied.csrf, /; Secure/)
      assert.strictEqual(proxied.hsts, "max-age=31536000; includeSubDomains")

      const forged = yield* loginWith({ trustProxy: false }, https)
      assert.notMatch(forged.session, /; Secure/)
      assert.isNull(forged.hsts)

      const always = yield* loginWith({ secureCookies: "always" }, {})
      assert.match(always.session, /; Secure/)
      assert.isNotNull(always.hsts)
    }), 90_000)
})
