import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { Accounts } from "../../src/Auth/Accounts.ts"
import { noOrigin } from "../../src/Auth/Audit.ts"
import { Sessions } from "../../src/Auth/Sessions.ts"
import { MetricsRegistry } from "../../src/Observability/MetricsRegistry.ts"
import { authLayer } from "../support/AuthTest.ts"
import { freshPglite } from "../support/TestDatabase.ts"

// Sessions slide: each use moves the expiry to now + 30 min (written at most
// once a minute); an idle session ends 30 min after its last use. Time is the
// TestClock's; the store compares with the time it is given, so the embedded
// PostgreSQL sees test time too.
layer(authLayer().pipe(Layer.provideMerge(Layer.mergeAll(freshPglite(), MetricsRegistry.layerTest))), { timeout: "60 seconds" })(
  "session expiry",
  (it) => {
    it.effect("30 minutes sliding: used every 20 minutes it lives on; idle for 31 minutes it is gone", () =>
      Effect.gen(function*() {
        const accounts = yield* Accounts
        const sessions = yield* Sessions
        const added = yield* accounts.add({ username: "slider", role: "viewer", password: Redacted.make("a long enough passphrase") })
        assert.strictEqual(added._tag, "Added")
        const user = added._tag === "Added" ? added.user : undefined!
        const session = yield* sessions.create(user.id, noOrigin)
        assert.strictEqual(session.expiresAt, 30 * 60_000)

        for (let use = 1; use <= 4; use++) {
          yield* TestClock.adjust("20 minutes")
          const found = yield* sessions.lookup(session.cookie)
          assert.isDefined(found, `use ${use}, ${use * 20} minutes after login`)
          assert.strictEqual(found!.expiresAt, (use * 20 + 30) * 60_000, "slid to now + 30 min")
        }
        // 80 minutes after login, last used now. Idle 29 minutes: still there (and slides again) …
        yield* TestClock.adjust("29 minutes")
        assert.isDefined(yield* sessions.lookup(session.cookie))
        // … idle 30 minutes and a second: gone.
        yield* TestClock.adjust("30 minutes")
        yield* TestClock.adjust("1 second")
        assert.isUndefined(yield* sessions.lookup(session.cookie))
      }))

    it.effect("a use within a minute of the last slide does not write again; logout ends the session", () =>
      Effect.gen(function*() {
        const accounts = yield* Accounts
        const sessions = yield* Sessions
        const added = yield* accounts.add({ username: "sitter", role: "viewer", password: Redacted.make("a long enough passphrase") })
        const user = added._tag === "Added" ? added.user : undefined!
        const session = yield* sessions.create(user.id, noOrigin)
        const start = session.expiresAt
        yield* TestClock.adjust("30 seconds")
        assert.strictEqual((yield* sessions.lookup(session.cookie))!.expiresAt, start, "not slid: the last write is under a minute old")
        yield* TestClock.adjust("31 seconds")
        assert.strictEqual((yield* sessions.lookup(session.cookie))!.expiresAt, start + 61_000)
        yield* sessions.end(session.id)
        assert.isUndefined(yield* sessions.lookup(session.cookie))
        assert.isUndefined(yield* sessions.lookup("x".repeat(43)))
        assert.isUndefined(yield* sessions.lookup("short"))
      }))
  }
)
