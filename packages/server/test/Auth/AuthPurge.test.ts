import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { TestClock } from "effect/testing"
import { Accounts } from "../../src/Auth/Accounts.ts"
import { noOrigin } from "../../src/Auth/Audit.ts"
import { Clients } from "../../src/Auth/Clients.ts"
import { Sessions } from "../../src/Auth/Sessions.ts"
import { Tokens } from "../../src/Auth/Tokens.ts"
import { MetricsRegistry } from "../../src/Observability/MetricsRegistry.ts"
import { authLayer } from "../support/AuthTest.ts"
import { freshPglite } from "../support/TestDatabase.ts"

const count = (table: "oauth_tokens" | "sessions") =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql(table)}`
    return rows[0]!.n
  })

// Every hour each instance deletes expired sessions (ended ones included)
// and tokens a day past their expiry. Time is the TestClock's; the store
// compares with the time it is given.
layer(authLayer().pipe(Layer.provideMerge(Layer.mergeAll(freshPglite(), MetricsRegistry.layerTest))), { timeout: "60 seconds" })(
  "purge of expired tokens and sessions",
  (it) => {
    it.effect("hourly: sessions go once expired, tokens a day after; live ones stay", () =>
      Effect.gen(function*() {
        const added = yield* (yield* Accounts).add({ username: "purged", role: "viewer" })
        assert.strictEqual(added._tag, "Added")
        const userId = added._tag === "Added" ? added.user.id : ""
        const { client } = yield* (yield* Clients).add({ name: "purged", role: "viewer", rateLimit: null }, "test")
        const tokens = yield* Tokens
        const sessions = yield* Sessions
        yield* tokens.issue(client, "viewer", "viewer")
        yield* sessions.create(userId, noOrigin)
        const ended = yield* sessions.create(userId, noOrigin)
        yield* sessions.end(ended.id)
        assert.strictEqual(yield* count("oauth_tokens"), 1)
        assert.strictEqual(yield* count("sessions"), 2, "an ended session keeps its row until it expires")

        // Two hourly runs: both sessions expired at 30 min; the token (expired at 1 h) is in its day of grace.
        yield* TestClock.adjust("2 hours")
        assert.strictEqual(yield* count("sessions"), 0)
        assert.strictEqual(yield* count("oauth_tokens"), 1)
        const live = yield* sessions.create(userId, noOrigin)

        // A day later the token goes; a token issued now and the session just made stay.
        yield* TestClock.adjust("10 minutes")
        yield* tokens.issue(client, "viewer", "viewer")
        yield* TestClock.adjust("1 day")
        assert.strictEqual(yield* count("oauth_tokens"), 1, "only the token issued a day ago is left")
        assert.isUndefined(yield* sessions.lookup(live.cookie), "idle for a day: expired")
        assert.strictEqual(yield* count("sessions"), 0)
      }))
  }
)
