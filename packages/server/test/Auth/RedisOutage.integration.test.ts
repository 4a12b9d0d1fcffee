import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Redacted, Ref } from "effect"
import { Accounts } from "../../src/Auth/Accounts.ts"
import { Clients } from "../../src/Auth/Clients.ts"
import { MetricsRegistry } from "../../src/Observability/MetricsRegistry.ts"
import * as Database from "../../src/Store/Database.ts"
import { basicOf } from "../support/AuthTest.ts"
import { Browser } from "../support/Browser.ts"
import { promValue } from "../support/PromText.ts"
import { serverPort } from "../support/RawHttp.ts"
import { freePort, randomNamespace, spawnRedisServer } from "../support/RedisTest.ts"
import { testApp } from "../support/TestApp.ts"
import { scratchDatabase } from "../support/TestDatabase.ts"

// The auth feature's own Redis (a child redis-server) is killed under
// authenticated load — bearer tokens and session cookies, with a local trust
// of 20 ms so nearly every request asks Redis (then PostgreSQL). No request
// fails; tokens are issued and people log in while Redis is down.
describe("auth with Redis killed", () => {
  it.live("Redis killed mid-load: 0 failed authenticated requests; issuing tokens and logging in keep working", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const redis = yield* spawnRedisServer(port)
      const url = yield* scratchDatabase("authoutage")
      const context = yield* Layer.build(
        testApp(Database.layerFor({ _tag: "Server", url: Redacted.make(url), maxConnections: 4 }), {
          as: "anonymous",
          redis: { url: redis.url, namespace: randomNamespace("authoutage") },
          settings: { localTtl: Duration.millis(20), anonymousAccess: false }
        })
      )
      const b = new Browser(`http://127.0.0.1:${yield* Effect.provide(serverPort, context)}`)
      const clients = Context.get(context, Clients)
      const accounts = Context.get(context, Accounts)
      const { client, secret } = yield* clients.add({ name: "load", role: "viewer", rateLimit: null }, "test")
      yield* accounts.add({ username: "loader", role: "viewer", password: Redacted.make("a long enough passphrase") })
      const issue = Effect.map(
        b.request("/oauth/token", { method: "POST", form: { grant_type: "client_credentials" }, headers: { authorization: basicOf(client.clientId, secret) } }),
        (a) => ({ status: a.status, token: a.body.access_token as string })
      )
      const tokens = yield* Effect.forEach([1, 2, 3], () => Effect.map(issue, (t) => t.token))
      const person = new Browser(b.base)
      assert.strictEqual((yield* person.login("loader", "a long enough passphrase")).status, 200)
      const cookie = `mg_session=${person.cookies.get("mg_session")}`
      const { registry } = Context.get(context, MetricsRegistry)
      const metric = (name: string, labels: Record<string, string>) =>
        Effect.map(Effect.promise(() => registry.metrics()), (text) => promValue(text, name, labels))

      const failed: Array<string> = []
      const done = yield* Ref.make(0)
      let killed = false
      let missesAtKill = 0
      yield* Effect.forEach(
        Array.from({ length: 600 }, (_, i) => i),
        (i) =>
          Effect.gen(function*() {
            const headers = i % 4 === 3 ? { cookie } : { authorization: `Bearer ${tokens[i % 3]}` }
            const answer = yield* b.get(i % 2 === 0 ? "/v1/sources" : "/v1/auth/me", headers)
            if (answer.status !== 200) failed.push(`${i}: ${answer.status} ${JSON.stringify(answer.body)}`)
            if ((yield* Ref.updateAndGet(done, (n) => n + 1)) === 200) {
              missesAtKill = yield* metric("auth_cache_misses_total", { cache: "token" })
              yield* redis.kill
              killed = true
            }
          }),
        { concurrency: 8 }
      )
      assert.isTrue(killed)
      assert.deepStrictEqual(failed, [])
      // After the kill the tokens were read from PostgreSQL (and sessions too).
      assert.isAbove(yield* metric("auth_cache_misses_total", { cache: "token" }), missesAtKill)
      // While Redis is down: a new token, a new login, both usable.
      const fresh = yield* issue
      assert.strictEqual(fresh.status, 200)
      assert.strictEqual((yield* b.get("/v1/sources", { authorization: `Bearer ${fresh.token}` })).status, 200)
      const late = new Browser(b.base)
      assert.strictEqual((yield* late.login("loader", "a long enough passphrase")).status, 200)
      assert.strictEqual((yield* late.get("/v1/auth/me")).body.data.name, "loader")
    }), 90_000)

  it.live("two instances, Redis killed: a token issued on A (and a session made on A) is accepted by B at once, from PostgreSQL", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const redis = yield* spawnRedisServer(port)
      const url = yield* scratchDatabase("authoutage2")
      const namespace = randomNamespace("authoutage2")
      const instance = Effect.gen(function*() {
        const context = yield* Layer.build(
          testApp(Database.layerFor({ _tag: "Server", url: Redacted.make(url), maxConnections: 4 }), {
            as: "anonymous",
            redis: { url: redis.url, namespace },
            settings: { localTtl: Duration.millis(20), anonymousAccess: false }
          })
        )
        return { context, browser: new Browser(`http://127.0.0.1:${yield* Effect.provide(serverPort, context)}`) }
      })
      const a = yield* instance
      const b = yield* instance
      const { client, secret } = yield* Context.get(a.context, Clients).add({ name: "load", role: "viewer", rateLimit: null }, "test")
      yield* Context.get(a.context, Accounts).add({ username: "loader", role: "viewer", password: Redacted.make("a long enough passphrase") })
      yield* redis.kill
      // Redis is gone: B can learn of A's new tokens only from PostgreSQL.
      const failed: Array<string> = []
      yield* Effect.forEach(
        Array.from({ length: 60 }, (_, i) => i),
        (i) =>
          Effect.gen(function*() {
            const issued = yield* a.browser.request("/oauth/token", {
              method: "POST",
              form: { grant_type: "client_credentials" },
              headers: { authorization: basicOf(client.clientId, secret) }
            })
            if (issued.status !== 200) return failed.push(`${i}: issue ${issued.status} ${JSON.stringify(issued.body)}`)
            for (const path of ["/v1/auth/me", "/v1/sources"]) {
              const answer = yield* b.browser.get(path, { authorization: `Bearer ${issued.body.access_token}` })
              if (answer.status !== 200) failed.push(`${i}: ${path} ${answer.status} ${JSON.stringify(answer.body)}`)
            }
            if (i % 10 === 0) {
              const person = new Browser(a.browser.base)
              const login = yield* person.login("loader", "a long enough passphrase")
              if (login.status !== 200) return failed.push(`${i}: login ${login.status}`)
              const answer = yield* b.browser.get("/v1/auth/me", { cookie: `mg_session=${person.cookies.get("mg_session")}` })
              if (answer.status !== 200) failed.push(`${i}: session on B ${answer.status} ${JSON.stringify(answer.body)}`)
            }
          }),
        { concurrency: 6 }
      )
      assert.deepStrictEqual(failed, [])
    }), 90_000)

  it.live("two instances, Redis killed: a user added on A logs in on B at once (B's filter of logins cannot hear of it)", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const redis = yield* spawnRedisServer(port)
      const url = yield* scratchDatabase("authoutage3")
      const namespace = randomNamespace("authoutage3")
      const instance = Effect.gen(function*() {
        const context = yield* Layer.build(
          testApp(Database.layerFor({ _tag: "Server", url: Redacted.make(url), maxConnections: 4 }), {
            as: "anonymous",
            redis: { url: redis.url, namespace }
          })
        )
        return { context, browser: new Browser(`http://127.0.0.1:${yield* Effect.provide(serverPort, context)}`) }
      })
      const a = yield* instance
      const b = yield* instance
      yield* redis.kill
      yield* Context.get(a.context, Accounts).add({ username: "newcomer", role: "viewer", password: Redacted.make("a long enough passphrase") })
      const login = yield* new Browser(b.browser.base).login("newcomer", "a long enough passphrase")
      assert.strictEqual(login.status, 200, JSON.stringify(login.body))
      // A name nobody has is still refused.
      assert.strictEqual((yield* new Browser(b.browser.base).login("nobody", "a long enough passphrase")).status, 401)
    }), 60_000)
})
