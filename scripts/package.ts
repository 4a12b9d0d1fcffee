/**
 * `npm run package`: the release tarball for a one-host install without containers,
 * dist/marketgate-<version>.tar.gz (version: scripts/version.ts, from the git tag or the
 * commit). It holds one folder, marketgate-<version>/, with the sources, the lockfile,
 * bin/marketgate, the service files of deploy/{systemd,launchd,windows}, the backup
 * scripts, .env.example, README.md, LICENSE, docs/ and a VERSION file; no tests, no
 * node_modules. Install: unpack, `npm ci --omit=dev`, `bin/marketgate start`
 * (docs/deployment.md#one-host). Entries are sorted, owned by 0:0 and dated at the
 * commit, so the same commit gives the same bytes.
 *
 *   npm run package [-- --out-dir DIR]
 */
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { releaseVersion } from "./version.ts"

const root = Path.join(import.meta.dirname, "..")

/** What goes in, relative to the repository root (directories whole). */
export const CONTENTS = [
  "package.json",
  "package-lock.json",
  "packages/domain/package.json",
  "packages/domain/src",
  "packages/server/package.json",
  "packages/server/src",
  "packages/web/package.json",
  "packages/web/src",
  "bin/marketgate",
  "scripts/backup.sh",
  "scripts/restore.sh",
  "deploy/systemd",
  "deploy/launchd",
  "deploy/windows",
  "docs",
  ".env.example",
  "README.md",
  "LICENSE"
] as const

const commitTime = () => {
  try {
    return execFileSync("git", ["-C", root, "log", "-1", "--format=%ct"], { encoding: "utf8" }).trim()
  } catch {
    return String(Math.floor(Date.now() / 1000))
  }
}

export const buildPackage = (outDir: string): string => {
  const version = releaseVersion()
  const name = `marketgate-${version}`
  const staging = Fs.mkdtempSync(Path.join(Os.tmpdir(), "marketgate-package-"))
  try {
    const top = Path.join(staging, name)
    for (const entry of CONTENTS) {
      Fs.cpSync(Path.join(root, entry), Path.join(top, entry), { recursive: true, preserveTimestamps: false })
    }
    Fs.writeFileSync(Path.join(top, "VERSION"), `${version}\n`)
    Fs.mkdirSync(outDir, { recursive: true })
    const tarball = Path.join(Path.resolve(outDir), `${name}.tar.gz`)
    execFileSync("tar", [
      "--sort=name", "--owner=0", "--group=0", "--numeric-owner", `--mtime=@${commitTime()}`,
      "-C", staging, "-cf", `${tarball}.tmp`, name
    ])
    // gzip -n: no name or time in the header, so the bytes depend on the contents only.
    execFileSync("sh", ["-c", `gzip -n -9 < "${tarball}.tmp" > "${tarball}" && rm -f "${tarball}.tmp"`])
    return tarball
  } finally {
    Fs.rmSync(staging, { recursive: true, force: true })
  }
}

if (import.meta.main) {
  const at = process.argv.indexOf("--out-dir")
  const outDir = at > 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : Path.join(root, "dist")
  const tarball = buildPackage(outDir)
  console.log(`${tarball} (${Fs.statSync(tarball).size} bytes)`)
}
