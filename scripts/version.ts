/**
 * The release version, printed on stdout: the git tag on HEAD (`v1.2.0` → `1.2.0`), else
 * package.json's version with the short commit (`0.1.0-g7c52779`, `-dirty` when tracked
 * files differ from it), else package.json's version alone (no git, e.g. an unpacked
 * tarball, which carries its version in VERSION). Used by `npm run package` and the image build.
 */
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"

const root = Path.join(import.meta.dirname, "..")

const git = (...args: ReadonlyArray<string>): string | undefined => {
  try {
    return execFileSync("git", ["-C", root, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
  } catch {
    return undefined
  }
}

export const releaseVersion = (): string => {
  const released = Path.join(root, "VERSION")
  if (Fs.existsSync(released)) return Fs.readFileSync(released, "utf8").trim()
  const base = (JSON.parse(Fs.readFileSync(Path.join(root, "package.json"), "utf8")) as { version: string }).version
  const tag = git("describe", "--tags", "--exact-match", "--match", "v[0-9]*", "HEAD")
  if (tag !== undefined && tag.length > 0) return tag.replace(/^v/, "")
  const sha = git("rev-parse", "--short=7", "HEAD")
  if (sha === undefined) return base
  const dirty = git("status", "--porcelain", "--untracked-files=no")
  return `${base}-g${sha}${dirty !== undefined && dirty.length > 0 ? "-dirty" : ""}`
}

if (import.meta.main) console.log(releaseVersion())
