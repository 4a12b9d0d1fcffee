import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Redacted } from "effect"
import { Accounts } from "../../src/Auth/Accounts.ts"
import * as Database from "../../src/Store/Database.ts"
import { Browser } from "../support/Browser.ts"
import { serverPort } from "../support/RawHttp.ts"
import { freePort, randomNamespace, redisClient, scanKeys, spawnRedisServer, waitUntil } from "../support/RedisTest.ts"
import { testApp } from "../support/TestApp.ts"
import { scratchDatabase, tempDir } from "../support/TestDatabase.ts"

// A session ended (logout) and a user disabled while Redis is down stay ended
// once Redis comes back with the keys it had: its session:{id} and user:{id}
// copies must not bring them back on any instance.
describe("ended while Redis was down", () => {
  it.live("logout and disabling a user during a Redis outage: refused on every instance after Redis returns with its old keys", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const dataDir = yield* tempDir("mg-redis-")
      const first = yield* spawnRedisServer(port, { dataDir })
      const url = yield* scratchDatabase("endedoutage")
      const namespace = randomNamespace("endedoutage")
      const instance = Effect.gen(function*() {
        const context = yield* Layer.build(
          testApp(Database.layerFor({ _tag: "Server", url: Redacted.make(url), maxConnections: 4 }), {
            as: "anonymous",
            redis: { url: first.url, namespace },
            // A short local trust: the instances read Redis (then the store) on nearly every request.
            settings: { localTtl: Duration.millis(20), anonymousAccess: false }
          })
        )
        return { context, base: `http://127.0.0.1:${yield* Effect.provide(serverPort, context)}` }
      })
      const a = yield* instance
      const b = yield* instance
      const accounts = Context.get(a.context, Accounts)
      yield* accounts.add({ username: "sam", role: "viewer", password: Redacted.make("sam's long passphrase") })
      const dan = yield* accounts.add({ username: "dan", role: "viewer", password: Redacted.make("dan's long passphrase") })
      assert.strictEqual(dan._tag, "Added")
      const danId = dan._tag === "Added" ? dan.user.id : ""
      const sam = new Browser(a.base)
      const danBrowser = new Browser(a.base)
      assert.strictEqual((yield* sam.login("sam", "sam's long passphrase")).status, 200)
      assert.strictEqual((yield* danBrowser.login("dan", "dan's long passphrase")).status, 200)
      // Kept here: the logout answer clears the browser's own cookie, a thief's copy stays.
      const cookies = new Map([[sam, sam.cookies.get("mg_session")!], [danBrowser, danBrowser.cookies.get("mg_session")!]])
      const at = (base: string, who: Browser) => new Browser(base).get("/v1/auth/me", { cookie: `mg_session=${cookies.get(who)}` })
      const onB = (who: Browser) => at(b.base, who)
      assert.strictEqual((yield* onB(sam)).status, 200)
      assert.strictEqual((yield* onB(danBrowser)).status, 200)
      const keys = (kind: string) => Effect.scoped(Effect.flatMap(redisClient(first.url), (r) => scanKeys(r, `${namespace}:auth:${kind}:`)))
      assert.strictEqual((yield* keys("session")).length, 2, "both sessions are cached in Redis")
      assert.isAtLeast((yield* keys("user")).length, 1, "users are cached in Redis")

      yield* first.kill
      const out = yield* sam.post("/v1/auth/logout", {}, { csrf: true })
      assert.strictEqual(out.status, 200, JSON.stringify(out.body))
      assert.isDefined(yield* accounts.setDisabled(danId, true))
      const problems: Array<string> = []
      const refused = (who: string, browser: Browser, when: string) =>
        waitUntil(Effect.map(onB(browser), (answer) => answer.status === 401), {
          within: "1 second",
          every: "10 millis",
          message: () => `B still accepted ${who}'s session ${when}`
        }).pipe(Effect.catch((e) => Effect.sync(() => void problems.push(e.message))))
      yield* refused("sam (logged out)", sam, "with Redis down")
      yield* refused("dan (disabled)", danBrowser, "with Redis down")

      yield* spawnRedisServer(port, { dataDir })
      const c = yield* instance
      const checkAll = (when: string) =>
        Effect.forEach([["sam (logged out)", sam], ["dan (disabled)", danBrowser]] as const, ([who, browser]) =>
          Effect.forEach([["B", b.base], ["C", c.base]] as const, ([name, base]) =>
            Effect.map(at(base, browser), (answer) => {
              if (answer.status !== 401) problems.push(`${name} answered ${answer.status} for ${who} ${when}`)
            })), { discard: true })
      yield* checkAll("as soon as Redis came back")
      // The stale copies go once Redis answers again …
      yield* waitUntil(Effect.map(keys("session"), (k) => k.length === 0), {
        within: "10 seconds",
        message: () => "the ended sessions' session:{id} entries are still in Redis"
      })
      // … and nothing changes after.
      yield* checkAll("after the stale copies were deleted")
      assert.deepStrictEqual(problems, [])
    }), 60_000)
})
