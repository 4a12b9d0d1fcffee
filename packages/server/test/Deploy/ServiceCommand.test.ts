/**
 * `npm run cli -- service …` as its own process, writing under a scratch --root (no
 * service manager runs here): the files it writes with its defaults are the committed
 * deploy/systemd/marketgate.service and deploy/launchd/com.marketgate.service.plist;
 * the unit passes `systemd-analyze verify` (Debian's systemd package) without a warning;
 * the plist parses (the `plist` package) with the keys launchd needs; Windows is refused
 * with a pointer to the documented WinSW route.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Plist from "plist"
import { launchdPlist, STOP_TIMEOUT_SECONDS, systemdUnit } from "../../src/Cli/ServiceFiles.ts"
import { onPath } from "../support/Binaries.ts"
import { spawnCli } from "../support/ServiceProcess.ts"
import { tempDir } from "../support/TestDatabase.ts"

const ROOT = Path.join(import.meta.dirname, "../../../..")
const DRAIN_SECONDS = 20

const cli = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const process = yield* spawnCli(args, { LOG_LEVEL: "warn" })
    const code = yield* process.exited
    return { code, output: process.lines.join("\n") }
  }).pipe(Effect.scoped)

describe("cli service", () => {
  it.live("install --root writes the committed systemd unit and launchd plist; status and uninstall find them", () =>
    Effect.gen(function*() {
      const root = yield* tempDir("mg-service-")
      const unit = Path.join(root, "etc/systemd/system/marketgate.service")
      const plist = Path.join(root, "Library/LaunchDaemons/com.marketgate.service.plist")
      const installed = yield* cli(["service", "install", "--platform", "systemd", "--root", root])
      assert.strictEqual(installed.code, 0, installed.output)
      assert.include(installed.output, `wrote ${unit}`)
      assert.strictEqual(Fs.readFileSync(unit, "utf8"), Fs.readFileSync(Path.join(ROOT, "deploy/systemd/marketgate.service"), "utf8"))
      const launchd = yield* cli(["service", "install", "--platform", "launchd", "--root", root])
      assert.strictEqual(launchd.code, 0, launchd.output)
      assert.strictEqual(Fs.readFileSync(plist, "utf8"), Fs.readFileSync(Path.join(ROOT, "deploy/launchd/com.marketgate.service.plist"), "utf8"))

      const status = yield* cli(["service", "status", "--platform", "systemd", "--root", root])
      assert.strictEqual(status.code, 0, status.output)
      assert.include(status.output, `${unit}: installed`)
      assert.notInclude(status.output, "differs")
      const other = yield* cli(["service", "status", "--platform", "systemd", "--root", root, "--data-dir", "/srv/mg"])
      assert.include(other.output, "differs from what `service install` with these settings writes")

      const removed = yield* cli(["service", "uninstall", "--platform", "systemd", "--root", root])
      assert.strictEqual(removed.code, 0, removed.output)
      assert.isFalse(Fs.existsSync(unit))
      const gone = yield* cli(["service", "status", "--platform", "systemd", "--root", root])
      assert.strictEqual(gone.code, 1)
      assert.include(gone.output, "not installed")
    }), { timeout: 60_000 })

  it.live("refuses Windows with the documented route", () =>
    Effect.gen(function*() {
      const r = yield* cli(["service", "install", "--platform", "windows"])
      assert.strictEqual(r.code, 1)
      assert.include(r.output, "docs/deployment.md#windows")
      // The documented WinSW file is there, and stops later than the drain.
      const winsw = Fs.readFileSync(Path.join(ROOT, "deploy/windows/marketgate-service.xml"), "utf8")
      assert.match(winsw, /<stoptimeout>(\d+) sec<\/stoptimeout>/)
      assert.isAbove(Number(/<stoptimeout>(\d+) sec/.exec(winsw)![1]), DRAIN_SECONDS)
    }), { timeout: 30_000 })

  it.live("the unit passes systemd-analyze verify without a warning", () =>
    Effect.gen(function*() {
      const analyze = onPath("systemd-analyze")
      assert.isDefined(analyze, "systemd-analyze is not on PATH: install the Debian package systemd (.ci/run does)")
      // verify checks that ExecStart exists: the same unit, pointing at a scratch copy of the release's bin/.
      const dir = yield* tempDir("mg-unit-")
      const prefix = Path.join(dir, "opt/marketgate")
      Fs.mkdirSync(Path.join(prefix, "bin"), { recursive: true })
      Fs.copyFileSync(Path.join(ROOT, "bin/marketgate"), Path.join(prefix, "bin/marketgate"))
      Fs.chmodSync(Path.join(prefix, "bin/marketgate"), 0o755)
      const file = Path.join(dir, "marketgate.service")
      const settings = { prefix, user: "marketgate", dataDir: Path.join(dir, "data"), envFile: Path.join(dir, "marketgate.env") }
      Fs.writeFileSync(file, systemdUnit(settings))
      const r = spawnSync(analyze!, ["verify", file], { encoding: "utf8" })
      assert.strictEqual(r.status, 0, `${r.stdout}${r.stderr}`)
      assert.strictEqual(`${r.stdout}${r.stderr}`.trim(), "", "systemd-analyze printed warnings")
      const unit = systemdUnit(settings)
      for (const line of ["ProtectSystem=strict", `ReadWritePaths=${settings.dataDir}`, "NoNewPrivileges=yes", "Restart=on-failure", `EnvironmentFile=${settings.envFile}`, "User=marketgate"]) {
        assert.include(unit.split("\n"), line)
      }
      assert.isAbove(STOP_TIMEOUT_SECONDS, DRAIN_SECONDS)
      assert.include(unit.split("\n"), `TimeoutStopSec=${STOP_TIMEOUT_SECONDS}s`)
    }), { timeout: 30_000 })

  it.live("the backup service and its daily timer pass systemd-analyze verify", () =>
    Effect.gen(function*() {
      const analyze = onPath("systemd-analyze")
      assert.isDefined(analyze, "systemd-analyze is not on PATH: install the Debian package systemd (.ci/run does)")
      const dir = yield* tempDir("mg-backup-unit-")
      const prefix = Path.join(dir, "opt/marketgate")
      Fs.mkdirSync(Path.join(prefix, "scripts"), { recursive: true })
      Fs.copyFileSync(Path.join(ROOT, "scripts/backup.sh"), Path.join(prefix, "scripts/backup.sh"))
      Fs.chmodSync(Path.join(prefix, "scripts/backup.sh"), 0o755)
      for (const file of ["marketgate-backup.service", "marketgate-backup.timer"]) {
        const text = Fs.readFileSync(Path.join(ROOT, "deploy/systemd", file), "utf8")
        Fs.writeFileSync(Path.join(dir, file), text.replaceAll("/opt/marketgate", prefix))
      }
      const r = spawnSync(analyze!, ["verify", Path.join(dir, "marketgate-backup.service"), Path.join(dir, "marketgate-backup.timer")], { encoding: "utf8" })
      assert.strictEqual(r.status, 0, `${r.stdout}${r.stderr}`)
      assert.strictEqual(`${r.stdout}${r.stderr}`.trim(), "", "systemd-analyze printed warnings")
      const service = Fs.readFileSync(Path.join(ROOT, "deploy/systemd/marketgate-backup.service"), "utf8")
      assert.include(service, "BACKUP_KEEP=30")
      assert.include(Fs.readFileSync(Path.join(ROOT, "deploy/systemd/marketgate-backup.timer"), "utf8"), "OnCalendar=*-*-* 02:30:00 UTC")
    }), { timeout: 30_000 })

  it("the plist parses, with what launchd needs", () => {
    const text = Fs.readFileSync(Path.join(ROOT, "deploy/launchd/com.marketgate.service.plist"), "utf8")
    const parsed = Plist.parse(text) as Record<string, any>
    assert.strictEqual(parsed.Label, "com.marketgate.service")
    assert.deepStrictEqual(parsed.ProgramArguments, ["/usr/local/marketgate/bin/marketgate", "start"])
    assert.strictEqual(parsed.UserName, "_marketgate")
    assert.deepStrictEqual(parsed.KeepAlive, { SuccessfulExit: false })
    assert.isTrue(parsed.RunAtLoad)
    assert.strictEqual(parsed.ExitTimeOut, STOP_TIMEOUT_SECONDS)
    assert.strictEqual(parsed.Umask, 0o027)
    assert.strictEqual(parsed.EnvironmentVariables.DATA_DIR, "/usr/local/var/marketgate")
    assert.strictEqual(parsed.EnvironmentVariables.MARKETGATE_ENV_FILE, "/usr/local/etc/marketgate/marketgate.env")
    // Paths with XML metacharacters stay well-formed.
    const odd = Plist.parse(launchdPlist({ prefix: "/opt/a&b<c>", user: "u", dataDir: "/d", envFile: "/e" })) as Record<string, any>
    assert.strictEqual(odd.WorkingDirectory, "/opt/a&b<c>")
  })
})
