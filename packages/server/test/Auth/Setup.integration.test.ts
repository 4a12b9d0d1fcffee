import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Path from "node:path"
import { Browser } from "../support/Browser.ts"
import { freePort } from "../support/RedisTest.ts"
import { spawnService } from "../support/ServiceProcess.ts"
import { tempDir } from "../support/TestDatabase.ts"

// The first admin without ADMIN_PASSWORD: the real process, on a store with
// no user, prints a one-time setup token at start; POST /v1/auth/setup with
// it creates the admin, once.
describe("first admin from the setup token", () => {
  it.live("printed at first start; creates one admin, once; a wrong token is refused with a sentence", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir("mg-setup-")
      const port = yield* freePort
      const service = yield* spawnService({
        PORT: String(port),
        HOST: "127.0.0.1",
        DATA_DIR: Path.join(dir, "data"),
        SKIP_INTEGRITY_CHECK: "1",
        PREWARM_COUNT: "0",
        SCHEDULER_ENABLED: "false"
      })
      const line = yield* service.waitForLine((l) => l.includes("setup_token"), "60 seconds")
      yield* service.waitForLine((l) => l.includes("Listening on"), "60 seconds")
      const token = JSON.parse(line.slice(line.indexOf("{"))).setup_token as string
      assert.isAtLeast(token.length, 32)
      const b = new Browser(`http://127.0.0.1:${port}`)
      const setup = (setupToken: string, username: string) => b.post("/v1/auth/setup", { setup_token: setupToken, username, password: "the first admin's passphrase" })

      const wrong = yield* setup(`${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`, "mallory")
      assert.strictEqual(wrong.status, 401)
      assert.match(wrong.body.msg, /^the setup token is not valid: it works once, while no user exists/)

      const made = yield* setup(token, "root")
      assert.strictEqual(made.status, 201, JSON.stringify(made.body))
      assert.deepInclude(made.body.data, { name: "root", role: "admin" })
      const again = yield* setup(token, "second")
      assert.strictEqual(again.status, 401, "the token works once")

      assert.strictEqual((yield* b.login("root", "the first admin's passphrase")).status, 200)
      assert.strictEqual((yield* b.get("/v1/admin/users")).status, 200, "the new user is an admin")
      assert.strictEqual((yield* new Browser(b.base).login("second", "the first admin's passphrase")).status, 401)
    }), 90_000)
})
