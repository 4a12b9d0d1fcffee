/**
 * `npm run bench:load`: an open-model load in the spirit of the seed's k6 plan,
 * against marketgate and, at the same offered load, a bare `node:http` peer
 * (bare-peer.ts) answering each class of request with marketgate's bytes.
 *
 * Virtual users ramp from 0 to BENCH_LOAD_VUS (1,000) over BENCH_LOAD_RAMP,
 * hold for BENCH_LOAD_HOLD (10 s by default; 60 s is the seed's plan:
 * BENCH_LOAD_HOLD=60), then stop one by one over BENCH_LOAD_RAMP_DOWN. Each user
 * has its own keep-alive connection and, between requests, thinks for an
 * exponentially distributed time (mean BENCH_LOAD_THINK_MS, 1,000 ms), so
 * arrivals are spread (Poisson-like), not in bursts. The mix: 70 % cached
 * reads (quotes and a year of daily bars, warmed before the run), 20 %
 * uncached ranges (random symbol and dates), 5 % `POST /v1/bars/batch` (three
 * symbols), 5 % indicators. The request sequence is seeded, the same for both
 * targets. Everything on 127.0.0.1; marketgate runs on a fresh embedded store
 * (or on BENCH_LOAD_DATABASE_URL, an existing PostgreSQL database) with the
 * per-address quota lifted (the load is one address).
 *
 * Prints per target: requests, throughput during the hold, p50/p95/p99/max of
 * all answers, errors by kind, error rate, the worst one-second event-loop
 * delay p99, and peak RSS; then marketgate per class. Exits non-zero if
 * marketgate answered any error or a server died. Bounded: each target's run
 * ends at most BENCH_LOAD_REQUEST_TIMEOUT_MS after its ramp-down.
 */
import { type ChildProcess, fork, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import * as Http from "node:http"
import { createServer as createNetServer } from "node:net"
import { availableParallelism, cpus, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { LoadPeerAnswer, LoadPeerConfig, LoadPeerMessage } from "./bare-peer.ts"

const HOST = "127.0.0.1"
const repoRoot = fileURLToPath(new URL("../../", import.meta.url))
const serverMain = join(repoRoot, "packages/server/src/main.ts")
const barePeerPath = fileURLToPath(new URL("./bare-peer.ts", import.meta.url))

const number = (name: string, fallback: number, min: number, max: number): number => {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === "") return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name} must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`)
  }
  return value
}

const settings = {
  vus: number("BENCH_LOAD_VUS", 1000, 1, 5000),
  rampS: number("BENCH_LOAD_RAMP", 10, 0, 600),
  holdS: number("BENCH_LOAD_HOLD", 10, 1, 3600),
  rampDownS: number("BENCH_LOAD_RAMP_DOWN", 5, 0, 600),
  thinkMs: number("BENCH_LOAD_THINK_MS", 1000, 1, 60_000),
  requestTimeoutMs: number("BENCH_LOAD_REQUEST_TIMEOUT_MS", 10_000, 100, 120_000),
  seed: number("BENCH_LOAD_SEED", 20261203, 0, 2 ** 31)
}
const targetsWanted = (process.env.BENCH_LOAD_TARGETS ?? "marketgate,bare").split(",").map((s) => s.trim())

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createNetServer()
    server.once("error", reject)
    server.listen(0, HOST, () => {
      const address = server.address()
      if (address === null || typeof address === "string") return reject(new Error("no free port"))
      server.close(() => resolve(address.port))
    })
  })

/** mulberry32: a small seeded generator, so both targets get the same request sequence. */
const seeded = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// ---------------------------------------------------------------------------
// The traffic mix

const SYMBOLS = [
  "600519.SH", "601318.SH", "600036.SH", "601398.SH", "600900.SH", "600030.SH", "600276.SH", "600887.SH",
  "000001.SZ", "000002.SZ", "000333.SZ", "000858.SZ", "002594.SZ", "002415.SZ", "300750.SZ", "300059.SZ",
  "AAPL.US", "MSFT.US", "NVDA.US", "AMZN.US", "GOOG.US", "META.US", "TSLA.US"
]
const INDICATORS = ["sma", "ema", "macd", "rsi", "boll"]

type Kind = "cached quotes" | "cached bars" | "uncached range" | "batch" | "indicators"
const KINDS: ReadonlyArray<Kind> = ["cached quotes", "cached bars", "uncached range", "batch", "indicators"]

interface Planned {
  readonly kind: Kind
  readonly method: "GET" | "POST"
  readonly path: string
  readonly body?: string
}

/** The warmed URLs the cached share draws from. */
const cachedQuotes = Array.from({ length: 10 }, (_, i) => `/v1/quotes?symbols=${[0, 1, 2, 3, 4].map((k) => SYMBOLS[(i * 3 + k * 5) % SYMBOLS.length]).join(",")}`)
const cachedBars = SYMBOLS.slice(0, 10).map((s) => `/v1/bars/${s}?interval=1d&from=2024-01-01&to=2024-12-31`)

const DAY = 86_400_000
const FIRST_DAY = Date.UTC(2016, 0, 4)
const LAST_FROM = Date.UTC(2024, 5, 28)
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10)

/** A random range of `minDays`..`maxDays` days, rarely the same twice. */
const range = (random: () => number, minDays: number, maxDays: number) => {
  const from = FIRST_DAY + Math.floor(random() * ((LAST_FROM - FIRST_DAY) / DAY)) * DAY
  const to = from + (minDays + Math.floor(random() * (maxDays - minDays))) * DAY
  return { from: isoDate(from), to: isoDate(to) }
}

const pick = <A>(random: () => number, xs: ReadonlyArray<A>): A => xs[Math.floor(random() * xs.length)]!

const plan = (random: () => number): Planned => {
  const r = random()
  if (r < 0.35) return { kind: "cached quotes", method: "GET", path: pick(random, cachedQuotes) }
  if (r < 0.70) return { kind: "cached bars", method: "GET", path: pick(random, cachedBars) }
  if (r < 0.90) {
    const { from, to } = range(random, 20, 365)
    return { kind: "uncached range", method: "GET", path: `/v1/bars/${pick(random, SYMBOLS)}?interval=1d&from=${from}&to=${to}` }
  }
  if (r < 0.95) {
    const { from, to } = range(random, 20, 60)
    const symbols = [pick(random, SYMBOLS), pick(random, SYMBOLS), pick(random, SYMBOLS)]
    return { kind: "batch", method: "POST", path: "/v1/bars/batch", body: JSON.stringify({ symbols, interval: "1d", from, to }) }
  }
  const { from, to } = range(random, 120, 240)
  return { kind: "indicators", method: "GET", path: `/v1/indicators/${pick(random, SYMBOLS)}?name=${pick(random, INDICATORS)}&from=${from}&to=${to}` }
}

// ---------------------------------------------------------------------------
// Requests

interface Answer {
  readonly status: number
  readonly headers: Http.IncomingHttpHeaders
  readonly body: Buffer
}

const send = (
  base: string,
  request: Planned,
  headers: Readonly<Record<string, string>>,
  agent: Http.Agent | false,
  timeoutMs: number
): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const body = request.body === undefined ? undefined : Buffer.from(request.body)
    const req = Http.request(`${base}${request.path}`, {
      method: request.method,
      agent,
      headers: body === undefined ? headers : { ...headers, "content-type": "application/json", "content-length": String(body.length) }
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on("error", reject)
    })
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error("timeout"), { code: "timeout" })))
    req.on("error", reject)
    req.end(body)
  })

// ---------------------------------------------------------------------------
// Recording

class Samples {
  values = new Float64Array(1 << 16)
  count = 0
  add(ms: number) {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2)
      grown.set(this.values)
      this.values = grown
    }
    this.values[this.count++] = ms
  }
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN
    const sorted = this.values.slice(0, this.count).sort()
    return sorted[Math.min(this.count - 1, Math.max(0, Math.ceil((p / 100) * this.count) - 1))]!
  }
}

interface Recorded {
  readonly all: Samples
  readonly byKind: Map<Kind, Samples>
  readonly errors: Map<string, number>
  readonly errorsByKind: Map<Kind, number>
  /** The first few distinct error messages (`msg` of the envelope), by class. */
  readonly samples: Map<string, string>
  holdAnswers: number
  requests: number
  lagP99MaxS: number
  rssMaxBytes: number
  elapsedS: number
}

const newRecorded = (): Recorded => ({
  all: new Samples(),
  byKind: new Map(KINDS.map((k) => [k, new Samples()])),
  errors: new Map(),
  errorsByKind: new Map(),
  samples: new Map(),
  holdAnswers: 0,
  requests: 0,
  lagP99MaxS: 0,
  rssMaxBytes: 0,
  elapsedS: 0
})

const countError = (rec: Recorded, kind: Kind, what: string) => {
  rec.errors.set(what, (rec.errors.get(what) ?? 0) + 1)
  rec.errorsByKind.set(kind, (rec.errorsByKind.get(kind) ?? 0) + 1)
}

// ---------------------------------------------------------------------------
// Processes

interface Target {
  readonly name: "marketgate" | "bare node:http"
  readonly base: string
  readonly child: ChildProcess
  /** One-second event-loop delay p99 (s) and RSS (bytes), read from the target. */
  readonly stats: () => Promise<{ lagP99S: number; rssBytes: number }>
  readonly headers: Readonly<Record<string, string>>
}

const children: Array<ChildProcess> = []
const tempDirs: Array<string> = []
const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null

const stopChild = async (child: ChildProcess) => {
  if (!isRunning(child)) return
  child.kill("SIGTERM")
  const exited = await Promise.race([new Promise<boolean>((r) => child.once("exit", () => r(true))), sleep(5_000).then(() => false)])
  if (!exited && isRunning(child)) child.kill("SIGKILL")
}

const cleanUp = async () => {
  await Promise.all(children.map(stopChild))
  for (const dir of tempDirs.splice(0)) await rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined)
}

const rssOf = async (pid: number | undefined): Promise<number> => {
  if (pid === undefined) return 0
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "")
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return kb * 1024
}

const metricValue = (text: string, name: string): number => {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `))
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1))
}

const startMarketgate = async (password: string): Promise<Target> => {
  const dataDir = await mkdtemp(join(tmpdir(), "marketgate-load-"))
  tempDirs.push(dataDir)
  const port = await freePort()
  const env = { ...process.env }
  for (const name of Object.keys(env)) {
    if (/^(DATABASE_|SIMULATED_|CACHE_TTL_|REDIS_)/.test(name) || name === "OTEL_EXPORTER_OTLP_ENDPOINT") delete env[name]
  }
  const output: Array<string> = []
  const child = spawn(process.execPath, [serverMain], {
    cwd: repoRoot,
    env: {
      ...env,
      PORT: String(port),
      HOST,
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      ADMIN_PASSWORD: password,
      RATE_LIMIT_ANONYMOUS: "100000000",
      RATE_LIMIT_ADMIN: "100000000",
      CACHE_TTL_QUOTE: "1 hour",
      CACHE_TTL_DAILY: "1 hour",
      // The simulated provider's paid-tier quota (50 calls/s, 16 at once) would refuse most of the
      // uncached share with 503s; lifted so the run measures marketgate (BENCH_LOAD_PROVIDER_LIMITS=keep keeps it).
      ...(process.env.BENCH_LOAD_PROVIDER_LIMITS === "keep" ? {} : { SOURCE_SIMULATED_RATE_PER_SECOND: "100000", SOURCE_SIMULATED_CONCURRENCY: "256" }),
      ...(process.env.BENCH_LOAD_DATABASE_URL === undefined ? {} : { DATABASE_URL: process.env.BENCH_LOAD_DATABASE_URL })
    },
    stdio: ["ignore", "pipe", "pipe"]
  })
  children.push(child)
  const keep = (chunk: Buffer) => {
    output.push(...String(chunk).split("\n").filter((l) => l.trim() !== ""))
    if (output.length > 50) output.splice(0, output.length - 50)
  }
  child.stdout?.on("data", keep)
  child.stderr?.on("data", keep)
  const base = `http://${HOST}:${port}`
  const deadline = performance.now() + 60_000
  for (;;) {
    if (!isRunning(child)) throw new Error(`marketgate exited before it was ready:\n${output.join("\n")}`)
    const ready = await send(base, { kind: "cached quotes", method: "GET", path: "/ready" }, {}, false, 2_000).catch(() => undefined)
    if (ready?.status === 200) break
    if (performance.now() > deadline) throw new Error(`marketgate was not ready within 60 s:\n${output.join("\n")}`)
    await sleep(250)
  }
  // The batch endpoint needs an analyst: log in as the admin created from ADMIN_PASSWORD.
  const login = await send(base, { kind: "batch", method: "POST", path: "/v1/auth/login", body: JSON.stringify({ username: "admin", password }) }, {}, false, 10_000)
  const cookie = (login.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]!).find((c) => c.startsWith("mg_session="))
  const csrf = (JSON.parse(login.body.toString("utf8")) as { data?: { principal?: { csrf_token?: string } } }).data?.principal?.csrf_token
  if (login.status !== 200 || cookie === undefined || csrf === undefined) {
    throw new Error(`login as admin answered ${login.status}: ${login.body.toString("utf8").slice(0, 300)}`)
  }
  return {
    name: "marketgate",
    base,
    child,
    headers: { cookie, "x-csrf-token": csrf },
    stats: async () => {
      const metrics = await send(base, { kind: "cached quotes", method: "GET", path: "/metrics" }, {}, false, 5_000)
      return { lagP99S: metricValue(metrics.body.toString("utf8"), "nodejs_eventloop_lag_p99_seconds"), rssBytes: await rssOf(child.pid) }
    }
  }
}

const startBare = async (answers: ReadonlyArray<LoadPeerAnswer>): Promise<Target> => {
  const child = fork(barePeerPath, [], { execPath: process.execPath, stdio: ["ignore", "inherit", "inherit", "ipc"] })
  children.push(child)
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (m: LoadPeerMessage) => (m.type === "listening" ? resolve(m.port) : reject(new Error(m.message))))
    child.once("exit", (code) => reject(new Error(`bare peer exited (code ${code})`)))
    const config: LoadPeerConfig = { type: "config", host: HOST, answers }
    child.send(config)
  })
  const base = `http://${HOST}:${port}`
  return {
    name: "bare node:http",
    base,
    child,
    headers: {},
    stats: async () => {
      const answer = await send(base, { kind: "cached quotes", method: "GET", path: "/__stats" }, {}, false, 5_000)
      const parsed = JSON.parse(answer.body.toString("utf8")) as { lagP99Seconds: number; rssBytes: number }
      return { lagP99S: parsed.lagP99Seconds, rssBytes: parsed.rssBytes }
    }
  }
}

/** Warms the cached share, and captures one answer per class for the bare peer. */
const warm = async (mg: Target): Promise<ReadonlyArray<LoadPeerAnswer>> => {
  for (const path of [...cachedQuotes, ...cachedBars]) {
    for (let i = 0; i < 2; i++) {
      const answer = await send(mg.base, { kind: "cached bars", method: "GET", path }, {}, false, 30_000)
      if (answer.status !== 200) throw new Error(`warming ${path}: ${answer.status} ${answer.body.toString("utf8").slice(0, 300)}`)
    }
  }
  const samples: Array<[string, "GET" | "POST", Planned]> = [
    ["/v1/quotes", "GET", { kind: "cached quotes", method: "GET", path: cachedQuotes[0]! }],
    ["/v1/bars/", "GET", { kind: "cached bars", method: "GET", path: cachedBars[0]! }],
    ["/v1/indicators/", "GET", { kind: "indicators", method: "GET", path: `/v1/indicators/AAPL.US?name=macd&from=2024-01-01&to=2024-06-30` }],
    ["/v1/bars/batch", "POST", {
      kind: "batch",
      method: "POST",
      path: "/v1/bars/batch",
      body: JSON.stringify({ symbols: ["600519.SH", "AAPL.US", "000001.SZ"], interval: "1d", from: "2024-01-01", to: "2024-02-15" })
    }]
  ]
  const answers: Array<LoadPeerAnswer> = []
  for (const [prefix, method, request] of samples) {
    const answer = await send(mg.base, request, mg.headers, false, 30_000)
    if (answer.status !== 200) throw new Error(`${request.method} ${request.path}: ${answer.status} ${answer.body.toString("utf8").slice(0, 300)}`)
    answers.push({ prefix, method, contentType: String(answer.headers["content-type"]), bodyBase64: answer.body.toString("base64") })
  }
  return answers
}

// ---------------------------------------------------------------------------
// The run

/** Exponential think time with the given mean. */
const think = (random: () => number, meanMs: number) => -Math.log(1 - random()) * meanMs

const runLoad = async (target: Target): Promise<Recorded> => {
  const rec = newRecorded()
  const { vus, rampS, holdS, rampDownS, thinkMs, requestTimeoutMs } = settings
  const started = performance.now()
  const holdFrom = started + rampS * 1000
  const holdUntil = holdFrom + holdS * 1000
  const end = holdUntil + rampDownS * 1000
  let active = 0

  const sampler = setInterval(() => {
    void target.stats().then((s) => {
      if (Number.isFinite(s.lagP99S)) rec.lagP99MaxS = Math.max(rec.lagP99MaxS, s.lagP99S)
      rec.rssMaxBytes = Math.max(rec.rssMaxBytes, s.rssBytes)
    }, () => undefined)
  }, 1000)

  const user = async (index: number) => {
    const random = seeded(settings.seed + index * 7919)
    // Users start spread over the ramp and stop spread over the ramp-down, in the same order.
    const startAt = started + (rampS * 1000 * index) / vus + random() * (rampS * 1000 / vus)
    const stopAt = holdUntil + (rampDownS * 1000 * index) / vus
    const agent = new Http.Agent({ keepAlive: true, maxSockets: 1 })
    await sleep(Math.max(0, startAt - performance.now()))
    active++
    try {
      // A first think, so a user's first request is not on its start tick.
      await sleep(think(random, thinkMs))
      while (performance.now() < stopAt) {
        const request = plan(random)
        const sent = performance.now()
        rec.requests++
        try {
          const answer = await send(target.base, request, target.headers, agent, requestTimeoutMs)
          const ms = performance.now() - sent
          if (answer.status >= 200 && answer.status < 300) {
            rec.all.add(ms)
            rec.byKind.get(request.kind)!.add(ms)
            if (sent >= holdFrom && sent < holdUntil) rec.holdAnswers++
          } else {
            countError(rec, request.kind, `status ${answer.status}`)
            const key = `${request.kind} ${answer.status}`
            if (!rec.samples.has(key) && rec.samples.size < 10) {
              const text = answer.body.toString("utf8")
              let msg = text.slice(0, 200)
              try {
                msg = String((JSON.parse(text) as { msg?: unknown }).msg ?? msg).slice(0, 200)
              } catch {
                // not JSON: keep the text
              }
              rec.samples.set(key, msg)
            }
          }
        } catch (error) {
          countError(rec, request.kind, (error as NodeJS.ErrnoException).code ?? String(error))
        }
        await sleep(think(random, thinkMs))
      }
    } finally {
      active--
      agent.destroy()
    }
  }

  const progress = setInterval(() => {
    const t = (performance.now() - started) / 1000
    process.stderr.write(`  ${target.name}: t=${t.toFixed(0)} s, ${active} users, ${rec.requests} requests, ${[...rec.errors.values()].reduce((a, b) => a + b, 0)} errors\n`)
  }, 5000)
  try {
    await Promise.all(Array.from({ length: vus }, (_, i) => user(i)))
  } finally {
    clearInterval(sampler)
    clearInterval(progress)
  }
  rec.elapsedS = (performance.now() - started) / 1000
  if (performance.now() > end + requestTimeoutMs + 5_000) console.error(`note: ${target.name} ran ${(rec.elapsedS).toFixed(1)} s, past its planned end`)
  return rec
}

// ---------------------------------------------------------------------------
// Report

const fmt = (n: number, digits = 0) => Number.isFinite(n) ? n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "–"

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>) => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)))
  const line = (cells: ReadonlyArray<string>) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`
  console.log(line(header))
  console.log(`|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`)
  for (const row of rows) console.log(line(row))
}

const errorTotal = (rec: Recorded) => [...rec.errors.values()].reduce((a, b) => a + b, 0)

const main = async (): Promise<number> => {
  const { vus, rampS, holdS, rampDownS, thinkMs } = settings
  console.log(`marketgate load benchmark (open model) — ${new Date().toISOString()}`)
  console.log(`node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? "?"}), load generator and servers share them`)
  console.log(
    `${vus} virtual users, ramp ${rampS} s, hold ${holdS} s, ramp-down ${rampDownS} s; think time exponential, mean ${thinkMs} ms; ` +
      `one keep-alive connection per user; request timeout ${settings.requestTimeoutMs} ms; seed ${settings.seed}`
  )
  console.log(
    process.env.BENCH_LOAD_PROVIDER_LIMITS === "keep"
      ? "simulated provider: its paid-tier quota (50 calls/s, 16 at once)"
      : "simulated provider: quota lifted (SOURCE_SIMULATED_RATE_PER_SECOND=100000, SOURCE_SIMULATED_CONCURRENCY=256)"
  )
  console.log("mix: 35 % cached quotes, 35 % cached bars (1 year daily), 20 % uncached ranges, 5 % POST /v1/bars/batch (3 symbols), 5 % indicators")
  const password = randomBytes(18).toString("base64url")
  const results: Array<[Target["name"], Recorded]> = []
  let failed = false
  try {
    const mg = await startMarketgate(password)
    const answers = await warm(mg)
    const store = process.env.BENCH_LOAD_DATABASE_URL === undefined ? "fresh embedded store (PGlite)" : "PostgreSQL at BENCH_LOAD_DATABASE_URL"
    console.log(`marketgate at ${mg.base} (pid ${mg.child.pid}), ${store}, cached share warmed`)
    if (targetsWanted.includes("marketgate")) {
      results.push(["marketgate", await runLoad(mg)])
      if (!isRunning(mg.child)) {
        console.error("FAIL: marketgate died during the run")
        failed = true
      }
    }
    await stopChild(mg.child)
    if (targetsWanted.includes("bare")) {
      const bare = await startBare(answers)
      console.log(`bare node:http peer at ${bare.base} (pid ${bare.child.pid}), answering each class with marketgate's bytes`)
      results.push(["bare node:http", await runLoad(bare)])
    }
  } catch (error) {
    console.error(`FAIL: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)
    return 1
  } finally {
    await cleanUp()
  }

  console.log("")
  table(
    ["target", "requests", "req/s (hold)", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors", "error rate", "loop lag p99 max ms", "RSS max MB"],
    results.map(([name, rec]) => [
      name,
      fmt(rec.requests),
      fmt(rec.holdAnswers / holdS),
      fmt(rec.all.percentile(50), 1),
      fmt(rec.all.percentile(95), 1),
      fmt(rec.all.percentile(99), 1),
      fmt(rec.all.percentile(100), 1),
      fmt(errorTotal(rec)),
      `${fmt((100 * errorTotal(rec)) / Math.max(1, rec.requests), 3)} %`,
      fmt(rec.lagP99MaxS * 1000, 1),
      fmt(rec.rssMaxBytes / 2 ** 20, 0)
    ])
  )
  const mgRec = results.find(([n]) => n === "marketgate")?.[1]
  if (mgRec !== undefined) {
    console.log("")
    console.log("marketgate by class:")
    table(
      ["class", "answers", "p50 ms", "p95 ms", "p99 ms", "errors"],
      KINDS.map((k) => {
        const s = mgRec.byKind.get(k)!
        return [k, fmt(s.count), fmt(s.percentile(50), 1), fmt(s.percentile(95), 1), fmt(s.percentile(99), 1), fmt(mgRec.errorsByKind.get(k) ?? 0)]
      })
    )
  }
  console.log("")
  for (const [name, rec] of results) {
    if (rec.errors.size > 0) console.log(`${name} errors: ${[...rec.errors].map(([k, n]) => `${k} × ${n}`).join(", ")}`)
    for (const [key, msg] of rec.samples) console.log(`  e.g. ${key}: ${msg}`)
  }
  console.log("latency: each answer's time from sending to its last byte, all phases; req/s (hold): 2xx answers to requests sent during the hold / hold seconds;")
  console.log("loop lag: worst one-second p99 of the event-loop delay (marketgate: prom-client's nodejs_eventloop_lag_p99_seconds; bare: monitorEventLoopDelay);")
  console.log("RSS: peak of the samples taken each second.")
  const bareRec = results.find(([n]) => n === "bare node:http")?.[1]
  if (mgRec !== undefined) {
    const p95 = mgRec.all.percentile(95)
    const p99 = mgRec.all.percentile(99)
    const rate = errorTotal(mgRec) / Math.max(1, mgRec.requests)
    console.log(`seed thresholds (P95 < 500 ms, P99 < 1 s, errors < 0.1 %): ${p95 < 500 && p99 < 1000 && rate < 0.001 ? "met" : "NOT met"}`)
    if (bareRec !== undefined) {
      const ratio = p99 / bareRec.all.percentile(99)
      console.log(`aim (p99 within 2× bare's at the same load, 0 errors): p99 ${fmt(ratio, 2)}× bare, ${errorTotal(mgRec)} errors → ${ratio <= 2 && errorTotal(mgRec) === 0 ? "met" : "NOT met"}`)
    }
    if (errorTotal(mgRec) > 0) {
      console.error(`FAIL: marketgate answered ${errorTotal(mgRec)} errors`)
      failed = true
    }
  }
  return failed ? 1 : 0
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
