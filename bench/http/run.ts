/**
 * HTTP read-path benchmark: marketgate vs a bare `node:http` server sending
 * the same bytes, and vs a Fastify 5 app doing the same work (fastify-peer.ts:
 * validation, bentocache, the envelope, RED metrics, a request id). Run with
 * `npm run bench` (Node 24; see docs/performance.md).
 *
 * 1. Starts marketgate as a child process on a free 127.0.0.1 port, with a
 *    fresh DATA_DIR under the OS temp dir, LOG_LEVEL=warn and the quote and
 *    daily cache TTLs raised to one hour, so every measured request is a
 *    cache hit (the quote TTL is 5 s by default).
 * 2. Waits for /ready, warms each URL and fails unless a second request
 *    reports `"cache_hit":true`; captures that answer's bytes and headers.
 * 3. Starts the bare peer (bare-server.ts) in its own child process, serving
 *    those bytes and headers on the same paths.
 * 4. Starts the Fastify peer with the same answers' data in its cache.
 * 5. For each endpoint, runs autocannon (same settings) against the bare peer,
 *    the Fastify peer, then marketgate, and prints req/s, p50/p99 and the ratios.
 *
 * Env: BENCH_DURATION (seconds per measured run, default 10),
 *      BENCH_WARMUP (seconds of autocannon warm-up before each run, default 2).
 * Exits non-zero on any request error or non-2xx, a cache miss during the
 * marketgate runs, or a crashed server. Both children are always stopped.
 */
import autocannon, { type Result } from "autocannon"
import { type ChildProcess, fork, spawn } from "node:child_process"
import { mkdtemp, rm } from "node:fs/promises"
import { request as httpRequest } from "node:http"
import { createServer as createNetServer } from "node:net"
import { availableParallelism, cpus, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { BareRoute, BareServerConfig, BareServerMessage } from "./bare-server.ts"

const HOST = "127.0.0.1"
/** The closed-loop scenarios: every endpoint at 10 connections, then cached quotes at 1,000. */
const CONNECTIONS = 10
const MANY_CONNECTIONS = 1_000
const READY_TIMEOUT_MS = 60_000
const REQUEST_TIMEOUT_MS = 10_000
const CACHE_TTL = "1 hour"

const repoRoot = fileURLToPath(new URL("../../", import.meta.url))
const serverMain = join(repoRoot, "packages/server/src/main.ts")
const bareServerPath = fileURLToPath(new URL("./bare-server.ts", import.meta.url))
const fastifyPeerPath = fileURLToPath(new URL("./fastify-peer.ts", import.meta.url))

interface Endpoint {
  readonly name: string
  readonly path: string
}

const quotes: Endpoint = { name: "GET /v1/quotes (5 symbols)", path: "/v1/quotes?symbols=600519.SH,000001.SZ,AAPL.US,MSFT.US,300750.SZ" }
const endpoints: ReadonlyArray<Endpoint> = [
  quotes,
  { name: "GET /v1/bars 1d, 1 year", path: "/v1/bars/600519.SH?interval=1d&from=2024-01-01&to=2024-12-31" }
]

interface Scenario {
  readonly endpoint: Endpoint
  readonly connections: number
}

/**
 * What runs, in order. BENCH_SCENARIOS picks some: `c10` (every endpoint at 10
 * connections), `c1000` (cached quotes at 1,000 connections); default both.
 */
const scenarios = (): ReadonlyArray<Scenario> => {
  const raw = (process.env.BENCH_SCENARIOS ?? "c10,c1000").split(",").map((s) => s.trim()).filter((s) => s.length > 0)
  const known = new Set(["c10", "c1000"])
  const unknown = raw.filter((s) => !known.has(s))
  if (unknown.length > 0 || raw.length === 0) {
    throw new Error(`BENCH_SCENARIOS must list c10 and/or c1000 (comma-separated), got ${JSON.stringify(process.env.BENCH_SCENARIOS)}`)
  }
  return [
    ...(raw.includes("c10") ? endpoints.map((endpoint) => ({ endpoint, connections: CONNECTIONS })) : []),
    ...(raw.includes("c1000") ? [{ endpoint: quotes, connections: MANY_CONNECTIONS }] : [])
  ]
}

const positiveSeconds = (name: string, fallback: number): number => {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === "") return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0 || value > 3600) {
    throw new Error(`${name} must be a number of seconds in (0, 3600], got ${JSON.stringify(raw)}`)
  }
  return value
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Rejects after `ms` unless `promise` settles first. */
const withTimeout = <A>(promise: PromiseLike<A>, ms: number, what: string): Promise<A> => {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms)
  })
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer))
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createNetServer()
    server.once("error", reject)
    server.listen(0, HOST, () => {
      const address = server.address()
      if (address === null || typeof address === "string") {
        server.close()
        reject(new Error("could not get a free port"))
        return
      }
      server.close(() => resolve(address.port))
    })
  })

interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly body: Buffer
}

/** One GET over a fresh connection, raw bytes (no Accept-Encoding, as autocannon sends none). */
const get = (url: string): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "GET", agent: false, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on("error", reject)
    })
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: timed out after ${REQUEST_TIMEOUT_MS} ms`)))
    req.on("error", reject)
    req.end()
  })

// ---------------------------------------------------------------------------
// Child processes

/** The last lines a child wrote, kept to explain a failure. */
class OutputTail {
  readonly lines: Array<string> = []
  total = 0
  readonly max: number
  constructor(max: number) {
    this.max = max
  }
  push(chunk: Buffer | string) {
    for (const line of String(chunk).split("\n")) {
      if (line.trim() === "") continue
      this.total++
      this.lines.push(line)
      if (this.lines.length > this.max) this.lines.shift()
    }
  }
  dump(title: string) {
    if (this.lines.length === 0) return
    console.error(`--- last ${this.lines.length} of ${this.total} output lines of ${title} ---`)
    for (const line of this.lines) console.error(line)
    console.error(`--- end of ${title} output ---`)
  }
}

const children: Array<{ readonly name: string; readonly child: ChildProcess }> = []

const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null

const waitExit = (child: ChildProcess, ms: number): Promise<boolean> =>
  new Promise((resolve) => {
    if (!isRunning(child)) return resolve(true)
    const timer = setTimeout(() => {
      child.off("exit", onExit)
      resolve(false)
    }, ms)
    const onExit = () => {
      clearTimeout(timer)
      resolve(true)
    }
    child.once("exit", onExit)
  })

/** SIGTERM, then SIGKILL if it is still there after 5 s. */
const stopChild = async (name: string, child: ChildProcess) => {
  if (!isRunning(child)) return
  child.kill("SIGTERM")
  if (await waitExit(child, 5_000)) return
  console.error(`${name} (pid ${child.pid}) ignored SIGTERM for 5 s; sending SIGKILL`)
  child.kill("SIGKILL")
  await waitExit(child, 2_000)
}

const stopAll = async () => {
  await Promise.all(children.map(({ child, name }) => stopChild(name, child)))
}

/** Temporary directories to remove at the end (marketgate's DATA_DIR). */
const tempDirs: Array<string> = []

const cleanUp = async () => {
  await stopAll()
  for (const dir of tempDirs.splice(0)) {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch((error: unknown) => {
      console.error(`could not remove ${dir}: ${String(error)}`)
    })
  }
}

interface Marketgate {
  readonly child: ChildProcess
  readonly base: string
  readonly output: OutputTail
}

/**
 * The caller's environment minus marketgate's own settings, so that a
 * DATABASE_URL, SIMULATED_FAILURE_RATE or CACHE_TTL_* in the shell does not
 * change what is measured: the benchmark always runs the defaults on a fresh
 * embedded store, with only the settings below.
 */
const inheritedEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env }
  for (const name of Object.keys(env)) {
    if (/^(DATABASE_|SIMULATED_|CACHE_TTL_)/.test(name) || ["SUSPENSION_SETTLE", "OTEL_EXPORTER_OTLP_ENDPOINT"].includes(name)) {
      delete env[name]
    }
  }
  return env
}

const startMarketgate = async (dataDir: string): Promise<Marketgate> => {
  const port = await freePort()
  const output = new OutputTail(200)
  const child = spawn(process.execPath, [serverMain], {
    cwd: repoRoot,
    env: {
      ...inheritedEnv(),
      PORT: String(port),
      HOST,
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      // Anonymous reads as on the embedded default, without its per-address quota (the load is one address).
      RATE_LIMIT_ANONYMOUS: "100000000",
      CACHE_TTL_QUOTE: CACHE_TTL,
      CACHE_TTL_DAILY: CACHE_TTL
    },
    stdio: ["ignore", "pipe", "pipe"]
  })
  children.push({ name: "marketgate", child })
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk))
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk))
  child.on("error", (error) => output.push(`[bench] spawn error: ${error.message}`))
  return { child, base: `http://${HOST}:${port}`, output }
}

const waitReady = async (mg: Marketgate) => {
  const started = Date.now()
  const deadline = started + READY_TIMEOUT_MS
  let last = "no answer yet"
  while (Date.now() < deadline) {
    if (!isRunning(mg.child)) {
      throw new Error(`marketgate exited before it was ready (code ${mg.child.exitCode}, signal ${mg.child.signalCode})`)
    }
    try {
      const answer = await get(`${mg.base}/ready`)
      if (answer.status === 200) return Date.now() - started
      last = `status ${answer.status}: ${answer.body.toString("utf8").slice(0, 200)}`
    } catch (error) {
      last = error instanceof Error ? error.message : String(error)
    }
    await sleep(250)
  }
  throw new Error(`marketgate was not ready within ${READY_TIMEOUT_MS} ms (last: ${last})`)
}

/** Headers the bare peer replays; node:http adds its own framing ones (date, connection, keep-alive). */
const replayedHeaders = (headers: Answer["headers"]): Record<string, string> => {
  const skip = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding"])
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || skip.has(name)) continue
    out[name] = typeof value === "string" ? value : value.join(", ")
  }
  return out
}

/** Two requests; the second must be a cached 200 envelope. Its bytes are what the bare peer sends. */
const warm = async (mg: Marketgate, endpoint: Endpoint): Promise<BareRoute> => {
  const url = `${mg.base}${endpoint.path}`
  const first = await get(url)
  if (first.status !== 200) {
    throw new Error(`warm-up GET ${endpoint.path}: status ${first.status}: ${first.body.toString("utf8").slice(0, 500)}`)
  }
  const second = await get(url)
  const text = second.body.toString("utf8")
  if (second.status !== 200) {
    throw new Error(`second GET ${endpoint.path}: status ${second.status}: ${text.slice(0, 500)}`)
  }
  let envelope: { code?: unknown; performance?: { cache_hit?: unknown } }
  try {
    envelope = JSON.parse(text) as typeof envelope
  } catch {
    throw new Error(`second GET ${endpoint.path}: not JSON: ${text.slice(0, 500)}`)
  }
  if (envelope.code !== 0 || envelope.performance?.cache_hit !== true) {
    throw new Error(
      `second GET ${endpoint.path} was not served from the cache (code ${JSON.stringify(envelope.code)}, ` +
        `performance ${JSON.stringify(envelope.performance)}); the benchmark would not measure the cached read path`
    )
  }
  const contentType = second.headers["content-type"]
  if (typeof contentType !== "string" || !contentType.startsWith("application/json")) {
    throw new Error(`second GET ${endpoint.path}: unexpected content-type ${JSON.stringify(contentType)}`)
  }
  return {
    url: endpoint.path,
    status: second.status,
    headers: replayedHeaders(second.headers),
    bodyBase64: second.body.toString("base64")
  }
}

/** Sum of `cache_misses_total` over all labels, from /metrics. */
const cacheMisses = async (mg: Marketgate): Promise<number> => {
  const answer = await get(`${mg.base}/metrics`)
  if (answer.status !== 200) throw new Error(`GET /metrics: status ${answer.status}`)
  let sum = 0
  for (const line of answer.body.toString("utf8").split("\n")) {
    if (!line.startsWith("cache_misses_total")) continue
    const value = Number(line.slice(line.lastIndexOf(" ") + 1))
    if (Number.isFinite(value)) sum += value
  }
  return sum
}

interface Bare {
  readonly child: ChildProcess
  readonly base: string
}

/** A peer child process (bare-server.ts or fastify-peer.ts), given the captured answers over IPC. */
const startPeer = async (name: string, path: string, routes: ReadonlyArray<BareRoute>): Promise<Bare> => {
  const child = fork(path, [], {
    execPath: process.execPath,
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  children.push({ name, child })
  const port = await withTimeout(
    new Promise<number>((resolve, reject) => {
      child.once("message", (message: BareServerMessage) => {
        if (message.type === "listening") resolve(message.port)
        else reject(new Error(`${name}: ${message.message}`))
      })
      child.once("exit", (code, signal) => reject(new Error(`${name} exited (code ${code}, signal ${signal})`)))
      child.once("error", reject)
      const config: BareServerConfig = { type: "config", host: HOST, routes }
      child.send(config)
    }),
    10_000,
    `starting the ${name}`
  )
  return { child, base: `http://${HOST}:${port}` }
}

// ---------------------------------------------------------------------------
// Measuring and reporting

interface Measured {
  readonly result: Result
  /** Latency percentiles of the 2xx answers in ms, from autocannon's per-response times (µs precision). */
  readonly p50: number
  readonly p99: number
  /** Request errors by kind (`ECONNRESET`, `timeout` …), from autocannon's reqError events. */
  readonly errorKinds: Readonly<Record<string, number>>
}

interface Row {
  readonly endpoint: string
  readonly connections: number
  readonly target: "bare node:http" | "Fastify peer" | "marketgate"
  readonly measured: Measured
  /** req/s over the bare peer's, and over the Fastify peer's (marketgate only). */
  readonly ratio: number | undefined
  readonly vsFastify?: number | undefined
  /** p99 over the bare peer's p99 in the same scenario (not for the bare peer itself). */
  readonly p99VsBare?: number | undefined
}

/** Response times of one run, kept in a preallocated, bounded buffer. */
const MAX_SAMPLES = 20_000_000

class LatencyRecorder {
  samples = new Float64Array(1 << 20)
  count = 0
  record(ms: number) {
    if (this.count === this.samples.length) {
      if (this.count >= MAX_SAMPLES) return
      const grown = new Float64Array(Math.min(this.samples.length * 2, MAX_SAMPLES))
      grown.set(this.samples)
      this.samples = grown
    }
    this.samples[this.count++] = ms
  }
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN
    const sorted = this.samples.subarray(0, this.count).sort()
    return sorted[Math.min(this.count - 1, Math.ceil((p / 100) * this.count) - 1)] ?? Number.NaN
  }
}

const measure = async (url: string, connections: number, duration: number, warmup: number): Promise<Measured> => {
  const instance = autocannon({ url, connections, duration, warmup: { connections, duration: warmup } })
  // With a warm-up, the returned instance emits only the measured run's responses.
  const latencies = new LatencyRecorder()
  instance.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) latencies.record(responseTime)
  })
  const errorKinds: Record<string, number> = {}
  instance.on("reqError", (error: NodeJS.ErrnoException) => {
    const kind = error.code ?? (error.message === "request timed out" ? "timeout" : error.message)
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1
  })
  const result = await withTimeout(instance, (duration + warmup) * 1000 + 30_000, `autocannon ${url}`)
  return { result, p50: latencies.percentile(50), p99: latencies.percentile(99), errorKinds }
}

const errorsOf = (r: Result) => r.errors + r.non2xx

const fmt = (n: number, digits: number) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })

const printTable = (rows: ReadonlyArray<Row>) => {
  const header = ["endpoint", "conns", "target", "req/s (mean)", "p50 ms", "p99 ms", "errors/non-2xx", "2xx answers", "secs", "vs bare", "vs Fastify", "p99 vs bare"]
  const body = rows.map((row) => [
    row.endpoint,
    fmt(row.connections, 0),
    row.target,
    fmt(row.measured.result.requests.mean, 0),
    fmt(row.measured.p50, 2),
    fmt(row.measured.p99, 2),
    `${row.measured.result.errors}/${row.measured.result.non2xx}`,
    fmt(row.measured.result["2xx"], 0),
    fmt(row.measured.result.duration, 1),
    row.ratio === undefined ? "1.00" : `${fmt(row.ratio, 2)}`,
    row.vsFastify === undefined ? "" : `${fmt(row.vsFastify, 2)}`,
    row.p99VsBare === undefined ? "" : `${fmt(row.p99VsBare, 2)}`
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]?.length ?? 0)))
  const right = new Set([1, 3, 4, 5, 6, 7, 8, 9, 10, 11])
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((c, i) => (right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(" | ")} |`
  console.log(line(header))
  console.log(`|${widths.map((w, i) => (right.has(i) ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`)
  for (const cells of body) console.log(line(cells))
}

const main = async (): Promise<number> => {
  const duration = positiveSeconds("BENCH_DURATION", 10)
  const warmup = positiveSeconds("BENCH_WARMUP", 2)
  const cpuModel = cpus()[0]?.model ?? "unknown CPU"
  console.log(`marketgate HTTP benchmark — ${new Date().toISOString()}`)
  console.log(`node ${process.version}, ${availableParallelism()} CPUs (${cpuModel}), load generator and both servers share them`)
  console.log(
    `autocannon: ${scenarios().map((s) => `${s.endpoint.name} at ${s.connections} connections`).join("; ")}; ` +
      `${warmup} s warm-up + ${duration} s measured per run, ${HOST} only; bare peer first, then the Fastify peer, then marketgate, per scenario`
  )
  console.log(`marketgate: LOG_LEVEL=warn, CACHE_TTL_QUOTE=${CACHE_TTL}, CACHE_TTL_DAILY=${CACHE_TTL} (every measured request is a cache hit)`)
  console.log("marketgate: fresh embedded store (PGlite) in a temp DATA_DIR; DATABASE_*, SIMULATED_*, CACHE_TTL_* from the shell are not passed on")

  const dataDir = await mkdtemp(join(tmpdir(), "marketgate-bench-"))
  tempDirs.push(dataDir)
  let mg: Marketgate | undefined
  try {
    mg = await startMarketgate(dataDir)
    const readyMs = await waitReady(mg)
    console.log(`marketgate ready at ${mg.base} after ${readyMs} ms (DATA_DIR ${dataDir})`)

    const routes: Array<BareRoute> = []
    for (const endpoint of endpoints) {
      const route = await warm(mg, endpoint)
      routes.push(route)
      console.log(`warmed ${endpoint.path}: cache_hit true, ${Buffer.from(route.bodyBase64, "base64").length} bytes, headers ${JSON.stringify(route.headers)}`)
    }
    const bare = await startPeer("bare node:http peer", bareServerPath, routes)
    const fastify = await startPeer("Fastify peer", fastifyPeerPath, routes)
    for (const route of routes) {
      const answer = await get(`${bare.base}${route.url}`)
      if (answer.status !== 200 || answer.body.toString("base64") !== route.bodyBase64) {
        throw new Error(`bare peer does not answer ${route.url} with the captured bytes (status ${answer.status})`)
      }
    }
    for (const route of routes) {
      const answer = await get(`${fastify.base}${route.url}`)
      const body = JSON.parse(answer.body.toString("utf8")) as { data?: unknown }
      const expected = JSON.parse(Buffer.from(route.bodyBase64, "base64").toString("utf8")) as { data?: unknown }
      if (answer.status !== 200 || JSON.stringify(body.data) !== JSON.stringify(expected.data)) {
        throw new Error(`Fastify peer does not answer ${route.url} with marketgate's data (status ${answer.status})`)
      }
    }
    console.log(`bare node:http peer at ${bare.base} (pid ${bare.child.pid}), Fastify peer at ${fastify.base} (pid ${fastify.child.pid}), marketgate pid ${mg.child.pid}`)
    console.log("")

    const rows: Array<Row> = []
    let failed = false
    for (const { endpoint, connections } of scenarios()) {
      const label = `${endpoint.name} at ${connections} connections`
      const bareRun = await measure(`${bare.base}${endpoint.path}`, connections, duration, warmup)
      const bareResult = bareRun.result
      rows.push({ endpoint: endpoint.name, connections, target: "bare node:http", measured: bareRun, ratio: undefined })
      const fastifyRun = await measure(`${fastify.base}${endpoint.path}`, connections, duration, warmup)
      rows.push({
        endpoint: endpoint.name,
        connections,
        target: "Fastify peer",
        measured: fastifyRun,
        ratio: fastifyRun.result.requests.mean / bareResult.requests.mean,
        p99VsBare: fastifyRun.p99 / bareRun.p99
      })

      const missesBefore = await cacheMisses(mg)
      const logLinesBefore = mg.output.total
      const mgRun = await measure(`${mg.base}${endpoint.path}`, connections, duration, warmup)
      const mgResult = mgRun.result
      const missesAfter = await cacheMisses(mg)
      rows.push({
        endpoint: endpoint.name,
        connections,
        target: "marketgate",
        measured: mgRun,
        ratio: mgResult.requests.mean / bareResult.requests.mean,
        vsFastify: mgResult.requests.mean / fastifyRun.result.requests.mean,
        p99VsBare: mgRun.p99 / bareRun.p99
      })
      console.log(
        `done: ${label} (bare ${fmt(bareResult.requests.mean, 0)} req/s, Fastify ${fmt(fastifyRun.result.requests.mean, 0)} req/s, ` +
          `marketgate ${fmt(mgResult.requests.mean, 0)} req/s, ` +
          `cache misses during the marketgate run: ${missesAfter - missesBefore})`
      )

      if (!isRunning(mg.child)) {
        console.error(`FAIL: marketgate exited during the ${label} run (code ${mg.child.exitCode}, signal ${mg.child.signalCode})`)
        failed = true
        break
      }
      if (missesAfter !== missesBefore) {
        console.error(`FAIL: ${missesAfter - missesBefore} cache misses during the marketgate ${label} run; figures are not the cached path`)
        failed = true
      }
      if (mg.output.total !== logLinesBefore) {
        console.error(`note: marketgate wrote ${mg.output.total - logLinesBefore} log lines at warn or above during the ${label} run`)
      }
    }

    console.log("")
    printTable(rows)
    console.log("")
    console.log("req/s: autocannon mean of per-second samples; p50/p99: latency of the 2xx answers of the measured run")
    console.log("(from autocannon's per-response times, not its 1 ms-resolution histogram); 2xx answers: count in the measured run;")
    console.log("secs: the measured run's actual length (autocannon stops on its next 1 s tick after BENCH_DURATION);")
    console.log("errors include timeouts; vs bare: req/s / bare node:http req/s for the same endpoint and bytes;")
    console.log("vs Fastify: marketgate req/s / Fastify peer req/s (the same work in Fastify 5 + bentocache + prom-client).")

    console.log("p99 vs bare: p99 / bare node:http p99 in the same scenario (the 1,000-connection goal: at most 2.00).")
    console.log("")

    for (const row of rows) {
      const r = row.measured.result
      if (errorsOf(r) > 0) {
        const kinds = Object.entries(row.measured.errorKinds).map(([kind, n]) => `${kind} ${n}`).join(", ")
        const what = `${row.target} ${row.endpoint} at ${row.connections} connections: ${r.errors} errors (${r.timeouts} timeouts${
          kinds === "" ? "" : `; ${kinds}`
        }), ${r.non2xx} non-2xx`
        // The peers are yardsticks: their errors are reported, marketgate's fail the run.
        if (row.target === "marketgate") {
          console.error(`FAIL: ${what}`)
          failed = true
        } else {
          console.log(`note: ${what}`)
        }
      }
      if (row.target === "marketgate" && row.connections === MANY_CONNECTIONS && row.p99VsBare !== undefined) {
        console.log(
          `1,000-connection goal (0 errors, p99 ≤ 2× bare): errors ${errorsOf(r)}, p99 ${fmt(row.measured.p99, 1)} ms = ` +
            `${fmt(row.p99VsBare, 2)}× bare → ${errorsOf(r) === 0 && row.p99VsBare <= 2 ? "met" : "NOT met"}`
        )
      }
    }
    if (failed) mg.output.dump("marketgate")
    return failed ? 1 : 0
  } catch (error) {
    console.error(`FAIL: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)
    mg?.output.dump("marketgate")
    return 1
  } finally {
    await cleanUp()
  }
}

let interrupted = false
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    if (interrupted) return
    interrupted = true
    console.error(`\n${signal}: stopping the servers`)
    void cleanUp().finally(() => process.exit(130))
  })
}

process.exitCode = await main()
