import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { spawnSync } from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { acquireEmbeddedPostgres } from "../../src/Store/EmbeddedPostgres.ts"

// One process per embedded data directory: a second marketgate process (a CLI
// backfill beside the service) is refused with a sentence saying what to do; a
// pid file left by a process that died is taken over.

const tempDir = Effect.acquireRelease(
  Effect.promise(() => Fs.mkdtemp(Path.join(Os.tmpdir(), "mg-lock-"))),
  (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
)

/** The pid of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ["-e", "0"]).pid!

describe("embedded database directory", () => {
  it.live("is refused while another live process holds it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const dataDir = Path.join(dir, "pglite")
      // The test runner's parent process stands in for a running service.
      yield* Effect.promise(() => Fs.writeFile(`${dataDir}.pid`, String(process.ppid)))
      const exit = yield* Effect.exit(Effect.scoped(acquireEmbeddedPostgres(dataDir)))
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
      assert.strictEqual(error?._tag, "Some")
      if (error?._tag !== "Some") return
      assert.strictEqual(error.value._tag, "EmbeddedPostgresError")
      assert.include(error.value.message, `in use by another marketgate process (pid ${process.ppid})`)
      assert.include(error.value.message, "DATABASE_URL")
      // Nothing was opened: the directory PGlite would have created does not exist.
      assert.isFalse(yield* Effect.promise(() => Fs.access(dataDir).then(() => true, () => false)))
    }), { timeout: 30_000 })

  it.live("is taken over from a process that died, and released when closed", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const dataDir = Path.join(dir, "pglite")
      yield* Effect.promise(() => Fs.writeFile(`${dataDir}.pid`, String(deadPid())))
      yield* Effect.scoped(Effect.gen(function*() {
        const socket = yield* acquireEmbeddedPostgres(dataDir)
        assert.isString(socket)
        assert.strictEqual(yield* Effect.promise(() => Fs.readFile(`${dataDir}.pid`, "utf8")), String(process.pid))
      }))
      assert.isFalse(yield* Effect.promise(() => Fs.access(`${dataDir}.pid`).then(() => true, () => false)))
    }), { timeout: 60_000 })
})
