/**
 * `npm run package` as an operator uses it: the tarball is built into a scratch dir,
 * unpacked elsewhere, its production dependencies installed with `npm ci --omit=dev`
 * (from npm's cache where it can), and `bin/marketgate start` run with Node 24 on PATH
 * (the one this test runs on) and the embedded defaults, until /ready answers 200; then
 * SIGTERM, and a clean exit.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import { execFileSync, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { buildPackage } from "../../../../scripts/package.ts"
import { releaseVersion } from "../../../../scripts/version.ts"
import { freePort, waitUntil } from "../support/RedisTest.ts"
import { tempDir } from "../support/TestDatabase.ts"

const nodeDir = Path.dirname(process.execPath)
const env = (extra: Record<string, string>) => ({
  ...process.env,
  PATH: `${nodeDir}${Path.delimiter}${process.env.PATH ?? ""}`,
  ...extra
})

describe("npm run package", () => {
  it.live("the tarball unpacks, installs its production dependencies, starts and becomes ready", () =>
    Effect.gen(function*() {
      const out = yield* tempDir("mg-dist-")
      const tarball = buildPackage(out)
      const version = releaseVersion()
      assert.strictEqual(Path.basename(tarball), `marketgate-${version}.tar.gz`)
      const listing = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n").filter((l) => l.length > 0)
      const top = `marketgate-${version}/`
      assert.isTrue(listing.every((l) => l.startsWith(top)), "one top folder")
      for (const file of ["package-lock.json", "bin/marketgate", ".env.example", "README.md", "LICENSE", "VERSION", "deploy/systemd/marketgate.service", "packages/server/src/main.ts"]) {
        assert.include(listing, `${top}${file}`)
      }
      assert.isFalse(listing.some((l) => /\/(test|node_modules|\.git)\//.test(l)), "no tests, node_modules or .git")

      const dir = yield* tempDir("mg-release-")
      execFileSync("tar", ["-xzf", tarball, "-C", dir])
      const release = Path.join(dir, `marketgate-${version}`)
      assert.strictEqual(Fs.readFileSync(Path.join(release, "VERSION"), "utf8").trim(), version)
      // npm as `npm run` runs it (npm_execpath), on Node 24.
      const npm = process.env.npm_execpath
      const npmCommand = npm !== undefined ? [process.execPath, [npm]] as const : ["npm", []] as const
      execFileSync(npmCommand[0], [...npmCommand[1], "ci", "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], {
        cwd: release,
        env: env({}),
        stdio: "pipe",
        timeout: 240_000
      })
      assert.isTrue(Fs.existsSync(Path.join(release, "node_modules/effect")))
      assert.isFalse(Fs.existsSync(Path.join(release, "node_modules/vitest")), "dev dependencies are not installed")

      const port = yield* freePort
      const lines: Array<string> = []
      const child = spawn(Path.join(release, "bin/marketgate"), ["start"], {
        cwd: dir,
        env: env({ PORT: String(port), HOST: "127.0.0.1", DATA_DIR: Path.join(dir, "data"), PREWARM_COUNT: "0", LOG_LEVEL: "warn" }),
        stdio: ["ignore", "pipe", "pipe"]
      })
      const exited = yield* Deferred.make<number | null>()
      child.stdout.on("data", (c: Buffer) => lines.push(c.toString("utf8")))
      child.stderr.on("data", (c: Buffer) => lines.push(c.toString("utf8")))
      child.on("exit", (code) => Deferred.doneUnsafe(exited, Effect.succeed(code)))
      yield* Effect.addFinalizer(() => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL")))
      yield* waitUntil(
        Effect.suspend(() =>
          child.exitCode !== null
            ? Effect.fail(new Error(`the release exited (${child.exitCode}):\n${lines.join("")}`))
            : Effect.promise(() =>
              fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status === 200, () => false)
            )
        ),
        { within: "90 seconds", every: "300 millis", message: () => `not ready:\n${lines.join("")}` }
      )
      child.kill("SIGTERM")
      assert.strictEqual(yield* Deferred.await(exited), 0, lines.join(""))
    }).pipe(Effect.scoped), { timeout: 300_000 })
})
