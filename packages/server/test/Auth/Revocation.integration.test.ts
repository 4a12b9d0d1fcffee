import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Redacted } from "effect"
import { Clients } from "../../src/Auth/Clients.ts"
import * as Database from "../../src/Store/Database.ts"
import { type AuthTestOptions, basicOf } from "../support/AuthTest.ts"
import { Browser } from "../support/Browser.ts"
import { promValue } from "../support/PromText.ts"
import { serverPort } from "../support/RawHttp.ts"
import { freePort, randomNamespace, redisClient, scanKeys, scopedNamespace, spawnRedisServer, testRedisUrl, waitUntil } from "../support/RedisTest.ts"
import { testApp } from "../support/TestApp.ts"
import { scratchDatabase, tempDir } from "../support/TestDatabase.ts"

/** One instance over a shared PostgreSQL database (and, in `options`, a shared Redis): its browser and its services. */
const instance = (url: string, options: AuthTestOptions) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      testApp(Database.layerFor({ _tag: "Server", url: Redacted.make(url), maxConnections: 4 }), { ...options, as: "anonymous" })
    )
    const port = yield* Effect.provide(serverPort, context)
    return { browser: new Browser(`http://127.0.0.1:${port}`), clients: Context.get(context, Clients) }
  })

const tokenOf = (b: Browser, clientId: string, secret: string) =>
  Effect.map(
    b.request("/oauth/token", { method: "POST", form: { grant_type: "client_credentials" }, headers: { authorization: basicOf(clientId, secret) } }),
    (answer) => answer.body.access_token as string
  )

const READ = "/v1/sources"

describe("revocation across instances", () => {
  it.live("two instances share PostgreSQL and Redis: a token revoked on A is refused by B, through the bus, within 1 s", () =>
    Effect.gen(function*() {
      const url = yield* scratchDatabase("revoke")
      const namespace = yield* scopedNamespace("revoke")
      // An hour of local trust: only the revocation bus can make B refuse a token it has verified.
      const options: AuthTestOptions = { redis: { url: testRedisUrl, namespace }, settings: { localTtl: Duration.hours(1) } }
      const a = yield* instance(url, options)
      const b = yield* instance(url, options)
      const { client, secret } = yield* a.clients.add({ name: "shared", role: "viewer", rateLimit: null }, "test")
      const token = yield* tokenOf(a.browser, client.clientId, secret)
      const bearer = { authorization: `Bearer ${token}` }
      // B has never seen this token: it finds it in Redis (its issuer put it there before answering).
      assert.strictEqual((yield* b.browser.get(READ, bearer)).status, 200)
      assert.strictEqual((yield* b.browser.get(READ, bearer)).status, 200)
      const revoked = yield* a.browser.request("/oauth/revoke", { method: "POST", form: { token }, headers: { authorization: basicOf(client.clientId, secret) } })
      assert.strictEqual(revoked.status, 200)
      assert.strictEqual((yield* a.browser.get(READ, bearer)).status, 401, "refused at once where it was revoked")
      const started = Date.now()
      yield* waitUntil(Effect.map(b.browser.get(READ, bearer), (answer) => answer.status === 401), {
        within: "1 second",
        every: "5 millis",
        message: () => "B still accepted the revoked token a second later"
      })
      const latencyMs = Date.now() - started
      const refused = yield* b.browser.get(READ, bearer)
      assert.match(refused.body.msg, /^the access token was revoked/)
      yield* Effect.logWarning("revocation reached the other instance").pipe(Effect.annotateLogs({ latency_ms: latencyMs }))

      // Revoking the client ends every token it holds, on both instances.
      const second = yield* tokenOf(b.browser, client.clientId, secret)
      assert.strictEqual((yield* a.browser.get(READ, { authorization: `Bearer ${second}` })).status, 200)
      yield* b.clients.revoke(client.clientId)
      yield* waitUntil(Effect.map(a.browser.get(READ, { authorization: `Bearer ${second}` }), (answer) => answer.status === 401), {
        within: "1 second",
        every: "5 millis",
        message: () => "A still accepted a token of the revoked client a second later"
      })
    }), 60_000)

  it.live("a token revoked while Redis is down: refused everywhere within 1 s, and still once Redis is back with its old token:{hash}", () =>
    Effect.gen(function*() {
      // A redis-server of this test's own that keeps its keys across a kill: it comes back with
      // the token:{hash} entry of the revoked token, as a partitioned or restarted Redis does.
      const port = yield* freePort
      const dataDir = yield* tempDir("mg-redis-")
      const first = yield* spawnRedisServer(port, { dataDir })
      const url = yield* scratchDatabase("revokedown")
      const namespace = randomNamespace("revokedown")
      const options: AuthTestOptions = { redis: { url: first.url, namespace }, settings: { localTtl: Duration.hours(1) } }
      const a = yield* instance(url, options)
      const b = yield* instance(url, options)
      const { client, secret } = yield* a.clients.add({ name: "partitioned", role: "viewer", rateLimit: null }, "test")
      const token = yield* tokenOf(a.browser, client.clientId, secret)
      const bearer = { authorization: `Bearer ${token}` }
      assert.strictEqual((yield* b.browser.get(READ, bearer)).status, 200)
      const tokenKeys = Effect.scoped(Effect.flatMap(redisClient(first.url), (r) => scanKeys(r, `${namespace}:auth:token:`)))
      assert.strictEqual((yield* tokenKeys).length, 1, "the token is cached in Redis")

      yield* first.kill
      const revoked = yield* a.browser.request("/oauth/revoke", { method: "POST", form: { token }, headers: { authorization: basicOf(client.clientId, secret) } })
      assert.strictEqual(revoked.status, 200)
      const problems: Array<string> = []
      const refusedBy = (who: string, browser: Browser, when: string) =>
        waitUntil(Effect.map(browser.get(READ, bearer), (answer) => answer.status === 401), {
          within: "1 second",
          every: "10 millis",
          message: () => `${who} accepted the token revoked while Redis was down, ${when}`
        }).pipe(Effect.catch((e) => Effect.sync(() => void problems.push(e.message))))
      yield* refusedBy("A", a.browser, "with Redis down")
      // The bus is down: B trusts what it verified for an hour, unless it learns of revocations from the store.
      yield* refusedBy("B", b.browser, "with Redis down")

      yield* spawnRedisServer(port, { dataDir })
      const c = yield* instance(url, options)
      for (const [who, browser] of [["A", a.browser], ["B", b.browser], ["C (started after Redis came back)", c.browser]] as const) {
        yield* refusedBy(who, browser, "after Redis came back")
        const answer = yield* browser.get(READ, bearer)
        if (answer.status !== 401 || !/^the access token was revoked/.test(answer.body.msg)) {
          problems.push(`${who} answered ${answer.status} ${answer.body.msg} after Redis came back`)
        }
      }
      assert.deepStrictEqual(problems, [])
      // Once Redis is back, the stale copy goes too.
      yield* waitUntil(Effect.map(tokenKeys, (keys) => keys.length === 0), {
        within: "10 seconds",
        message: () => "the revoked token's token:{hash} entry is still in Redis"
      })
    }), 60_000)

  it.live("a forged token costs no database query: the Bloom filter refuses it", () =>
    Effect.gen(function*() {
      const url = yield* scratchDatabase("forged")
      const a = yield* instance(url, {})
      const { client, secret } = yield* a.clients.add({ name: "real", role: "viewer", rateLimit: null }, "test")
      const token = yield* tokenOf(a.browser, client.clientId, secret)
      const metric = (name: string, labels: Record<string, string>) => Effect.map(a.browser.get("/metrics"), (m) => promValue(m.body, name, labels))
      const lookups = () => metric("db_query_duration_seconds_count", { operation: "tokens.byHash" })
      const before = yield* lookups()
      for (let i = 0; i < 300; i++) {
        const forged = `mgat_${Buffer.from(`forged ${i}`).toString("base64url").padEnd(43, "A").slice(0, 43)}`
        const answer = yield* a.browser.get(READ, { authorization: `Bearer ${forged}` })
        assert.strictEqual(answer.status, 401)
      }
      assert.strictEqual(yield* lookups(), before, "not one tokens.byHash query for 300 forged tokens")
      // One live token in a filter sized for 100,000: no false positive to let one through.
      assert.strictEqual(yield* metric("auth_bloom_rejections_total", { cache: "token" }), 300)
      // The real token still works (it is in the filter).
      assert.strictEqual((yield* a.browser.get(READ, { authorization: `Bearer ${token}` })).status, 200)
    }), 60_000)

  it.live("a login with a name nobody has costs no database query: the filter of logins refuses it", () =>
    Effect.gen(function*() {
      const url = yield* scratchDatabase("unknownlogin")
      const a = yield* instance(url, { settings: { login: { window: Duration.minutes(1), perIp: 1_000, perUsername: 1_000 } } })
      const metric = (name: string, labels: Record<string, string>) => Effect.map(a.browser.get("/metrics"), (m) => promValue(m.body, name, labels))
      const lookups = () => metric("db_query_duration_seconds_count", { operation: "users.byLogin" })
      const before = yield* lookups()
      for (let i = 0; i < 20; i++) {
        const answer = yield* a.browser.login(`nobody-${i}@example.com`, "a long enough passphrase")
        assert.strictEqual(answer.status, 401)
        assert.strictEqual(answer.body.msg, "wrong username or password")
      }
      assert.strictEqual(yield* lookups(), before, "not one users.byLogin query for 20 unknown names")
      assert.strictEqual(yield* metric("auth_bloom_rejections_total", { cache: "user" }), 20)
    }), 60_000)
})
