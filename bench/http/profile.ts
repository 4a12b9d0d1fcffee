/**
 * Where a cached read's CPU time goes: starts marketgate under
 * `node --cpu-prof` with the settings of run.ts (fresh embedded store,
 * LOG_LEVEL=warn, one-hour quote and daily TTLs), warms the URL, runs
 * autocannon against it (10 connections), stops the server and summarises
 * the profile's self time by function and by module — counting only the
 * samples taken while autocannon ran (start-up, warm-up and shutdown are cut
 * out by timestamp: V8's profile clock and `process.hrtime` are both the
 * monotonic clock).
 *
 *   node bench/http/profile.ts quotes|bars [seconds]   (default 10 s)
 *
 * Writes the raw .cpuprofile under the OS temp dir (its path is printed) for
 * a flame graph in Chrome DevTools or speedscope.
 */
import autocannon from "autocannon"
import { spawn } from "node:child_process"
import { mkdtemp, readdir, readFile } from "node:fs/promises"
import { request } from "node:http"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const HOST = "127.0.0.1"
const paths: Record<string, string> = {
  quotes: "/v1/quotes?symbols=600519.SH,000001.SZ,AAPL.US,MSFT.US,300750.SZ",
  bars: "/v1/bars/600519.SH?interval=1d&from=2024-01-01&to=2024-12-31"
}
const which = process.argv[2] ?? "quotes"
const path = paths[which]
if (path === undefined) throw new Error(`usage: node bench/http/profile.ts quotes|bars [seconds]`)
const seconds = Number(process.argv[3] ?? 10)

const repoRoot = fileURLToPath(new URL("../../", import.meta.url))

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, HOST, () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const get = (url: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (c: string) => (body += c))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on("error", reject)
    req.end()
  })

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly children?: ReadonlyArray<number>
}
interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly startTime: number
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

/** A module: the npm package (effect/http, prom-client …), or the file of our own source. */
const moduleOf = (url: string): string => {
  if (url === "") return "(native / V8)"
  const nm = url.lastIndexOf("node_modules/")
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/")
    const pkg = rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0] ?? url
    // effect is one package: split it by its modules' folders (http, http-api, internal …).
    if (pkg === "effect") {
      const dist = rest.indexOf("dist")
      return `effect/${rest.slice(dist + 1).join("/")}`
    }
    return pkg
  }
  if (url.startsWith("node:")) return url
  const src = url.indexOf("/packages/")
  return src >= 0 ? url.slice(src + 1) : url
}

type Frame = ProfileNode["callFrame"]

const SPAN_FUNCTIONS = /span|Span|tracer|Tracer|StackTrace|stackTrace/

/**
 * The piece of a request a stack belongs to. Our own code and the libraries
 * doing one job (Schema, prom-client, the tracer) claim everything called
 * under them: the innermost such frame wins. A stack with none of them is
 * the generic machinery of its leaf (Effect's fiber loop, context lookups,
 * node:http and the socket, GC).
 */
const owner = (frame: Frame): string | undefined => {
  const { url, functionName } = frame
  if (/\/Auth\/|effect\/dist\/persistence/.test(url)) return "Authentication middleware + rate limit (Auth/, RateLimiter)"
  if (/RequestEnvelope\.ts|HttpHygiene\.ts|RequestFacts\.ts/.test(url)) return "envelope middleware (request id, headers, envelope bytes, log check)"
  if (/HttpMetrics\.ts|prom-client/.test(url)) return "RED metrics (HttpMetrics, prom-client)"
  if (/\/Cache\//.test(url)) return "cache lookup (MarketCache, L1)"
  if (/MarketData\/|Instruments\/|Calendar\/|packages\/domain\/src\/(?!Api)/.test(url)) return "read path (MarketData: catalog, calendar, range)"
  if (/(QuotesHttp|BarsHttp|EncodedJson|IndicatorsHttp)\.ts/.test(url)) return "handler (joining cached JSON bytes)"
  if (/effect\/dist\/(internal\/schema|Schema|SchemaAST|SchemaParser|SchemaIssue)/.test(url)) return "Schema decoding (query/path)"
  if (/effect\/dist\/http-api|packages\/domain\/src\/Api/.test(url)) return "HttpApi glue (endpoint handler, middleware plumbing)"
  if (/FindMyWay|HttpRouter\.js/.test(url)) return "routing (HttpRouter, FindMyWay)"
  if (url.includes("effect/dist") && SPAN_FUNCTIONS.test(functionName)) return "spans (request, Effect.fn, cache lookup)"
  if (/effect\/dist\/Tracer\.js|internal\/tracer\.js|HttpMiddleware\.js/.test(url)) return "spans (request, Effect.fn, cache lookup)"
  if (url.includes("crypto") || functionName === "randomUUID") return "ids (randomUUID, trace ids)"
  return undefined
}
const leafPiece = (frame: Frame, parent: Frame | undefined): string => {
  const { url, functionName } = frame
  if (functionName === "(garbage collector)") return "GC"
  if (functionName === "(idle)" || functionName === "(program)") return "idle / outside JS"
  if (/effect\/dist\/Context\.js/.test(url)) return "context lookups (Context.js)"
  if (/effect\/dist\/(http|Headers|Cookies|Url)|platform-node/.test(url)) return "Effect HTTP server (request/response objects)"
  if (url.includes("effect/dist")) return "Effect runtime (fibers, flatMap, exits)"
  if (url.startsWith("node:") || url === "" && (parent?.url.startsWith("node:") ?? false)) return "node:http + socket writes"
  return url === "" ? "native (other)" : "other"
}

const main = async () => {
  const port = await freePort()
  const profDir = await mkdtemp(join(tmpdir(), "marketgate-prof-"))
  const dataDir = await mkdtemp(join(tmpdir(), "marketgate-prof-data-"))
  const child = spawn(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${profDir}`, "--cpu-prof-interval=500", "packages/server/src/main.ts"], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: String(port),
      HOST,
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      RATE_LIMIT_ANONYMOUS: "100000000",
      CACHE_TTL_QUOTE: "1 hour",
      CACHE_TTL_DAILY: "1 hour"
    },
    stdio: ["ignore", "inherit", "inherit"]
  })
  const base = `http://${HOST}:${port}`
  for (let i = 0; ; i++) {
    const ready = await get(`${base}/ready`).catch(() => undefined)
    if (ready?.status === 200) break
    if (i > 240) throw new Error("marketgate not ready after 60 s")
    await new Promise((r) => setTimeout(r, 250))
  }
  await get(base + path)
  const second = await get(base + path)
  if (!second.body.includes(`"cache_hit":true`)) throw new Error(`not a cache hit: ${second.body.slice(0, 300)}`)
  // autocannon's own warm-up, outside the window.
  await autocannon({ url: base + path, connections: 10, duration: 2 })

  const from = Number(process.hrtime.bigint() / 1000n)
  const result = await autocannon({ url: base + path, connections: 10, duration: seconds })
  const to = Number(process.hrtime.bigint() / 1000n)
  child.kill("SIGTERM")
  await new Promise((r) => child.once("exit", r))

  const file = (await readdir(profDir)).find((f) => f.endsWith(".cpuprofile"))
  if (file === undefined) throw new Error(`no profile written in ${profDir}`)
  const profile = JSON.parse(await readFile(join(profDir, file), "utf8")) as Profile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parentOf = new Map<number, ProfileNode>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n)
  const pieceOf = (node: ProfileNode): string => {
    for (let n: ProfileNode | undefined = node; n !== undefined; n = parentOf.get(n.id)) {
      const o = owner(n.callFrame)
      if (o !== undefined) return o
    }
    return leafPiece(node.callFrame, parentOf.get(node.id)?.callFrame)
  }
  const pieces = new Map<string, number>()
  const fnSelf = new Map<string, number>()
  const modSelf = new Map<string, number>()
  let total = 0
  let t = profile.startTime
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0
    if (t < from || t > to) continue
    const node = byId.get(profile.samples[i] ?? -1)
    if (node === undefined) continue
    const { functionName, url, lineNumber } = node.callFrame
    const dt = profile.timeDeltas[i + 1] ?? 250
    total += dt
    const mod = moduleOf(url)
    const fn = `${functionName || "(anonymous)"}  ${mod}${url === "" ? "" : `:${lineNumber + 1}`}`
    fnSelf.set(fn, (fnSelf.get(fn) ?? 0) + dt)
    modSelf.set(mod, (modSelf.get(mod) ?? 0) + dt)
    const piece = pieceOf(node)
    pieces.set(piece, (pieces.get(piece) ?? 0) + dt)
  }
  const pct = (v: number) => `${((100 * v) / total).toFixed(1).padStart(5)} %`
  console.log(`profile ${join(profDir, file)}`)
  console.log(
    `${which}: ${path}; autocannon -c 10 ${seconds} s: ${Math.round(result.requests.mean)} req/s (under the profiler), ` +
      `${result.errors} errors, ${result.non2xx} non-2xx; ${(total / 1e6).toFixed(2)} s of samples in the window`
  )
  const perRequest = (v: number) => `${(v / result["2xx"]).toFixed(1).padStart(6)} µs/req`
  console.log("\nby piece of a request (innermost owning frame, else the leaf's machinery)")
  for (const [piece, v] of [...pieces].sort((a, b) => b[1] - a[1])) console.log(`${pct(v)}  ${perRequest(v)}  ${piece}`)
  console.log("\nself time by module")
  for (const [mod, v] of [...modSelf].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${pct(v)}  ${mod}`)
  console.log("\nself time by function (top 45)")
  for (const [fn, v] of [...fnSelf].sort((a, b) => b[1] - a[1]).slice(0, 45)) console.log(`${pct(v)}  ${fn}`)
}

await main()
