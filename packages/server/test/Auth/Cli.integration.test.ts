import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { Clients } from "../../src/Auth/Clients.ts"
import * as Database from "../../src/Store/Database.ts"
import { MetricsRegistry } from "../../src/Observability/MetricsRegistry.ts"
import { authLayer } from "../support/AuthTest.ts"
import { spawnCli } from "../support/ServiceProcess.ts"
import { checkClient, scratchDatabase } from "../support/TestDatabase.ts"

/** `npm run cli -- …args` over the database at `url`: its exit code and printed lines. */
const cli = (url: string, args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const process = yield* spawnCli(args, { DATABASE_URL: url, LOG_LEVEL: "warn" })
    const code = yield* process.exited
    return { code, lines: process.lines }
  })

describe("cli users and clients", () => {
  it.live("users add|list|disable|reset-mfa and clients add|rotate|revoke: secrets printed once, stored only as hashes, every change audited", () =>
    Effect.gen(function*() {
      const url = yield* scratchDatabase("cli")
      const added = yield* cli(url, ["users", "add", "--username", "Ops", "--role", "admin", "--email", "ops@example.com"])
      assert.strictEqual(added.code, 0, added.lines.join("\n"))
      const password = added.lines.find((l) => l.startsWith("password: "))!.slice("password: ".length)
      assert.isAtLeast(password.length, 20)
      const refused = yield* cli(url, ["users", "add", "--username", "ops", "--role", "viewer"])
      assert.strictEqual(refused.code, 1)
      assert.include(refused.lines.join("\n"), "the username ops or that email is taken")
      const badRole = yield* cli(url, ["users", "add", "--username", "x1x", "--role", "root"])
      assert.notStrictEqual(badRole.code, 0)
      const listed = yield* cli(url, ["users", "list"])
      assert.match(listed.lines.join("\n"), /^\d+\tops\tadmin\tactive\tmfa:off\tops@example\.com\t/m)
      assert.strictEqual((yield* cli(url, ["users", "reset-mfa", "--username", "ops"])).code, 0)
      const disabled = yield* cli(url, ["users", "disable", "--username", "ops"])
      assert.match(disabled.lines.join("\n"), /\tops\tadmin\tdisabled\t/)
      const nobody = yield* cli(url, ["users", "disable", "--username", "nobody"])
      assert.strictEqual(nobody.code, 1)
      assert.include(nobody.lines.join("\n"), "no user nobody; list users with npm run cli -- users list")

      const client = yield* cli(url, ["clients", "add", "--name", "nightly job", "--role", "analyst", "--rate-limit", "600"])
      assert.strictEqual(client.code, 0, client.lines.join("\n"))
      const clientId = client.lines.find((l) => l.startsWith("client_id: "))!.slice(11)
      const secret = client.lines.find((l) => l.startsWith("client_secret: "))!.slice(15)
      const rotated = yield* cli(url, ["clients", "rotate", "--client-id", clientId])
      const newSecret = rotated.lines.find((l) => l.startsWith("client_secret: "))!.slice(15)
      assert.notStrictEqual(newSecret, secret)

      // The service sees what the CLI did: the new secret works, the old one does not.
      const services = authLayer().pipe(
        Layer.provideMerge(Layer.mergeAll(Database.layerFor({ _tag: "Server", url: Redacted.make(url), maxConnections: 2 }), MetricsRegistry.layerTest))
      )
      const [withNew, withOld] = yield* Effect.flatMap(Clients, (c) => Effect.all([c.authenticate(clientId, newSecret), c.authenticate(clientId, secret)])).pipe(
        Effect.provide(services)
      )
      assert.strictEqual(withNew?.role, "analyst")
      assert.strictEqual(withNew?.rateLimit, 600)
      assert.isUndefined(withOld)
      const revoked = yield* cli(url, ["clients", "revoke", "--client-id", clientId])
      assert.match(revoked.lines.join("\n"), /revoked .*\n0 live tokens revoked/)

      const sql = yield* checkClient(url)
      const stored = JSON.stringify(yield* sql`SELECT to_jsonb(u)::text AS row FROM users u`) + JSON.stringify(yield* sql`SELECT to_jsonb(c)::text AS row FROM api_clients c`)
      for (const s of [password, secret, newSecret]) assert.notInclude(stored, s, "stored only as hashes")
      const actions = (yield* sql<{ action: string }>`SELECT action FROM audit_logs WHERE actor = 'cli' ORDER BY id`).map((r) => r.action)
      assert.deepStrictEqual(actions, ["user.created", "mfa.reset", "user.disabled", "client.created", "client.rotated", "client.revoked"])
    }), { timeout: 120_000 })
})
