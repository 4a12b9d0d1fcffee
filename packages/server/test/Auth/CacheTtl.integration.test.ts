import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Redacted } from "effect"
import { Accounts } from "../../src/Auth/Accounts.ts"
import { Clients } from "../../src/Auth/Clients.ts"
import * as Database from "../../src/Store/Database.ts"
import { basicOf } from "../support/AuthTest.ts"
import { Browser } from "../support/Browser.ts"
import { serverPort } from "../support/RawHttp.ts"
import { redisClient, scanKeys, scopedNamespace, testRedisUrl } from "../support/RedisTest.ts"
import { testApp } from "../support/TestApp.ts"
import { scratchDatabase } from "../support/TestDatabase.ts"

const COUNT = 24

/** The remaining TTL (ms) of every key under `prefix`. */
const ttls = (prefix: string) =>
  Effect.scoped(
    Effect.gen(function*() {
      const redis = yield* redisClient(testRedisUrl)
      const keys = yield* scanKeys(redis, prefix)
      return yield* Effect.forEach(keys, (k) => Effect.tryPromise(() => redis.pttl(k)))
    })
  )

/** Every TTL within ±10 % of `ttl` (less what has elapsed), and spread: not written with one expiry. */
const assertJittered = (what: string, values: ReadonlyArray<number>, ttl: Duration.Duration) => {
  const ms = Duration.toMillis(ttl)
  // A write that missed the 100 ms Redis timeout on a busy machine is skipped (the store has the
  // record); most are there.
  assert.isAtLeast(values.length, COUNT / 2, `${what}: one key each`)
  assert.isAtMost(values.length, COUNT, `${what}: one key each`)
  for (const v of values) {
    assert.isAtMost(v, ms * 1.1, `${what}: ${v} ms is over TTL +10 %`)
    assert.isAtLeast(v, ms * 0.9 - 60_000, `${what}: ${v} ms is under TTL −10 %`)
  }
  // Written within seconds of each other: without jitter they would all lie within that time.
  // 12 or more draws over a 20 % band all landing within 2 % of the TTL has a chance below 1e-9.
  assert.isAbove(Math.max(...values) - Math.min(...values), ms * 0.02, `${what}: the expiries are not spread`)
}

// Every auth key in Redis expires at its TTL ±10 %: token:{hash} (the token's remaining
// lifetime), session:{id} (SESSION_TTL, 30 min), user:{id} (USER_CACHE_TTL, 5 min). Keys
// written together (a burst of logins, tokens issued at start-up) do not all expire, and
// reload, at once.
describe("auth keys in Redis", () => {
  it.live("token:{hash}, session:{id} and user:{id} expire at their TTL ±10 %, spread", () =>
    Effect.gen(function*() {
      const namespace = yield* scopedNamespace("authttl")
      const url = yield* scratchDatabase("authttl")
      const context = yield* Layer.build(
        testApp(Database.layerFor({ _tag: "Server", url: Redacted.make(url), maxConnections: 4 }), {
          as: "anonymous",
          redis: { url: testRedisUrl, namespace },
          settings: { login: { window: Duration.minutes(1), perIp: 1_000, perUsername: 1_000 } }
        })
      )
      const b = new Browser(`http://127.0.0.1:${yield* Effect.provide(serverPort, context)}`)
      const { client, secret } = yield* Context.get(context, Clients).add({ name: "ttl", role: "viewer", rateLimit: null }, "test")
      const accounts = Context.get(context, Accounts)
      yield* Effect.forEach(Array.from({ length: COUNT }, (_, i) => i), (i) =>
        Effect.gen(function*() {
          const issued = yield* b.request("/oauth/token", {
            method: "POST",
            form: { grant_type: "client_credentials" },
            headers: { authorization: basicOf(client.clientId, secret) }
          })
          assert.strictEqual(issued.status, 200)
          yield* accounts.add({ username: `ttl${i}`, role: "viewer", password: Redacted.make("a long enough passphrase") })
          const person = new Browser(b.base)
          assert.strictEqual((yield* person.login(`ttl${i}`, "a long enough passphrase")).status, 200)
          // The first request with the cookie reads the user (and caches user:{id}).
          assert.strictEqual((yield* person.get("/v1/auth/me")).status, 200)
        }), { concurrency: 2 })
      assertJittered("token:{hash}", yield* ttls(`${namespace}:auth:token:`), Duration.hours(1))
      assertJittered("session:{id}", yield* ttls(`${namespace}:auth:session:`), Duration.minutes(30))
      assertJittered("user:{id}", yield* ttls(`${namespace}:auth:user:`), Duration.minutes(5))
    }), 90_000)
})
