/**
 * Auth benchmark (issue 11): `npm run bench:auth` (under the CPU lock:
 * `flock /tmp/marketgate-cpu.lock npm run bench:auth`; see docs/performance.md).
 *
 * 1. Starts marketgate on a free 127.0.0.1 port over a fresh embedded store
 *    (the default: PGlite, no Redis), LOG_LEVEL=warn, the quote cache TTL an
 *    hour (every measured read is a cache hit), quotas far above the load,
 *    and ADMIN_PASSWORD for the first admin.
 * 2. Logs in as that admin and makes an API client (POST /v1/admin/clients).
 * 3. Token issuance: autocannon POSTs client-credentials requests
 *    (`/oauth/token`, HTTP Basic, form body) for BENCH_DURATION seconds;
 *    every token is written to the store (group-committed) and audited.
 * 4. The same cached read (`GET /v1/quotes?symbols=…`), anonymous and with a
 *    bearer token, alternately, AUTH_BENCH_ROUNDS times each; the ratio is
 *    the median bearer req/s over the median anonymous req/s.
 *
 * Targets: issuance ≥ 5,000 tokens/s; bearer read ≥ 0.9 × anonymous. Exits 1
 * on any request error or non-2xx, 2 when a figure misses its target.
 * Env: BENCH_DURATION (seconds per run, default 10), BENCH_WARMUP (default 2),
 *      AUTH_BENCH_ROUNDS (read rounds per mode, default 3),
 *      AUTH_BENCH_ISSUE_CONNECTIONS (concurrent token requests, default 50),
 *      BENCH_DATABASE_URL (a PostgreSQL server: the bench creates a database of
 *      its own there, runs marketgate on it, and drops it; unset: the embedded store).
 * `GET /health` of the same process is measured too, as the reference of what
 * the machine gives an Effect HTTP route at that moment.
 */
import { PgClient } from "@effect/sql-pg"
import autocannon, { type Result } from "autocannon"
import { Effect, Redacted } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtemp, rm } from "node:fs/promises"
import { createServer } from "node:net"
import { cpus, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const HOST = "127.0.0.1"
const CONNECTIONS = 10
const ADMIN_PASSWORD = "bench admin passphrase"
const READ = "/v1/quotes?symbols=600519.SH,000001.SZ,AAPL.US,MSFT.US,300750.SZ"
const repoRoot = fileURLToPath(new URL("../../", import.meta.url))

const seconds = (name: string, fallback: number) => {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === "") return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0 || n > 3600) throw new Error(`${name} must be a number of seconds in (0, 3600], got ${JSON.stringify(raw)}`)
  return n
}
const DURATION = seconds("BENCH_DURATION", 10)
const WARMUP = seconds("BENCH_WARMUP", 2)
const ROUNDS = Math.round(seconds("AUTH_BENCH_ROUNDS", 3))
/**
 * Concurrent token requests. Issuance waits for its row to be committed, and
 * concurrent requests share one INSERT (group commit): throughput is
 * concurrency / commit time, so a token service is measured with enough
 * clients in flight to fill a commit.
 */
const ISSUE_CONNECTIONS = Math.round(seconds("AUTH_BENCH_ISSUE_CONNECTIONS", 50))

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, HOST, () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Runs one statement on the server of `url` (its `postgres` database). */
const admin = (url: string, statement: (sql: PgClient.PgClient) => Effect.Effect<unknown, unknown>) =>
  Effect.runPromise(
    Effect.gen(function*() {
      yield* statement(yield* PgClient.PgClient)
    }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })))
  )

const serverUrl = process.env.BENCH_DATABASE_URL
const scratchName = `mg_bench_auth_${process.pid}`
let scratchUrl: string | undefined

let child: ChildProcess | undefined
const output: Array<string> = []
let dataDir: string | undefined

const stop = async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM")
    await Promise.race([new Promise((resolve) => child!.once("exit", resolve)), sleep(10_000)])
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  }
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true, maxRetries: 3 })
  if (scratchUrl !== undefined && serverUrl !== undefined) await admin(serverUrl, (sql) => sql`DROP DATABASE IF EXISTS ${sql(scratchName)} WITH (FORCE)`)
}

const start = async () => {
  dataDir = await mkdtemp(join(tmpdir(), "mg-bench-auth-"))
  const port = await freePort()
  if (serverUrl !== undefined) {
    await admin(serverUrl, (sql) => sql`CREATE DATABASE ${sql(scratchName)}`)
    const u = new URL(serverUrl)
    u.pathname = `/${scratchName}`
    scratchUrl = u.toString()
  }
  const env = { ...process.env }
  for (const name of Object.keys(env)) if (/^(DATABASE_|REDIS_|SIMULATED_|CACHE_|RATE_LIMIT_|OTEL_)/.test(name)) delete env[name]
  child = spawn(process.execPath, [join(repoRoot, "packages/server/src/main.ts")], {
    cwd: repoRoot,
    env: {
      ...env,
      PORT: String(port),
      HOST,
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      PREWARM_COUNT: "0",
      SCHEDULER_ENABLED: "false",
      SKIP_INTEGRITY_CHECK: "true",
      CACHE_TTL_QUOTE: "1 hour",
      ADMIN_PASSWORD,
      ...(scratchUrl === undefined ? {} : { DATABASE_URL: scratchUrl }),
      RATE_LIMIT_ANONYMOUS: "100000000",
      RATE_LIMIT_ADMIN: "100000000"
    },
    stdio: ["ignore", "pipe", "pipe"]
  })
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString("utf8").split("\n").filter((l) => l.length > 0))
    if (output.length > 200) output.splice(0, output.length - 200)
  }
  child.stdout!.on("data", keep)
  child.stderr!.on("data", keep)
  const base = `http://${HOST}:${port}`
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`marketgate exited (code ${child.exitCode})`)
    const ready = await fetch(`${base}/ready`).then((r) => r.status === 200, () => false)
    if (ready) return base
    await sleep(250)
  }
  throw new Error("marketgate was not ready within 60 s")
}

interface Measured {
  readonly result: Result
  readonly p99: number
}

const measure = async (
  options: { url: string; method?: string; headers?: Record<string, string>; body?: string },
  connections = CONNECTIONS
): Promise<Measured> => {
  const instance = autocannon({ ...options, connections, duration: DURATION, warmup: { connections, duration: WARMUP } })
  const times: Array<number> = []
  instance.on("response", (_c: unknown, status: number, _b: number, ms: number) => {
    if (status >= 200 && status < 300) times.push(ms)
  })
  const result = await instance
  times.sort((a, b) => a - b)
  return { result, p99: times[Math.min(times.length - 1, Math.ceil(times.length * 0.99) - 1)] ?? Number.NaN }
}

const errorsOf = (m: Measured) => m.result.errors + m.result.non2xx + m.result.timeouts
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })

const main = async () => {
  console.log(`bench:auth — store: ${serverUrl === undefined ? "embedded (PGlite)" : "PostgreSQL server"}, node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), ${CONNECTIONS} connections, ${DURATION} s per run (+${WARMUP} s warm-up)`)
  const base = await start()
  const login = await fetch(`${base}/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }) })
  const session = (await login.json()) as { data?: { principal?: { csrf_token?: string } } }
  const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ")
  const created = await fetch(`${base}/v1/admin/clients`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie, "x-csrf-token": session.data?.principal?.csrf_token ?? "" },
    body: JSON.stringify({ name: "bench", role: "viewer", rate_limit: 10_000_000 })
  })
  const client = (await created.json()) as { data?: { client: { client_id: string }; client_secret: string } }
  if (created.status !== 201 || client.data === undefined) throw new Error(`could not make the bench client: ${created.status} ${JSON.stringify(client)}`)
  const basic = `Basic ${Buffer.from(`${client.data.client.client_id}:${client.data.client_secret}`).toString("base64")}`
  const tokenRequest = { url: `${base}/oauth/token`, method: "POST", headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=client_credentials" }

  // One token for the reads; the cache warmed (the second read must be a hit).
  const token = ((await (await fetch(tokenRequest.url, tokenRequest)).json()) as { access_token: string }).access_token
  const bearer = { authorization: `Bearer ${token}` }
  for (const headers of [{}, bearer, {}]) {
    const body = (await (await fetch(`${base}${READ}`, { headers })).json()) as { performance?: { cache_hit?: boolean } }
    if (headers === bearer && body.performance?.cache_hit !== true) throw new Error(`the read was not served from the cache: ${JSON.stringify(body)}`)
  }

  const health = await measure({ url: `${base}/health` })
  const issuance = await measure(tokenRequest, ISSUE_CONNECTIONS)
  // The audit rows of those tokens are still being written: let that finish before reads are measured.
  await sleep(5_000)
  const anonymous: Array<Measured> = []
  const withBearer: Array<Measured> = []
  for (let round = 0; round < ROUNDS; round++) {
    anonymous.push(await measure({ url: `${base}${READ}` }))
    withBearer.push(await measure({ url: `${base}${READ}`, headers: bearer }))
  }

  const rows: Array<[string, Measured]> = [
    ["GET /health (reference: an Effect route, no auth, no store)", health],
    [`POST /oauth/token (client credentials), ${ISSUE_CONNECTIONS} connections`, issuance],
    ...anonymous.map((m, i): [string, Measured] => [`GET /v1/quotes, anonymous, round ${i + 1}`, m]),
    ...withBearer.map((m, i): [string, Measured] => [`GET /v1/quotes, bearer token, round ${i + 1}`, m])
  ]
  console.log("\n| run | req/s (mean) | p50 ms | p99 ms | 2xx | errors/non-2xx |")
  console.log("|---|---:|---:|---:|---:|---:|")
  for (const [name, m] of rows) {
    console.log(`| ${name} | ${fmt(m.result.requests.mean)} | ${fmt(m.result.latency.p50, 2)} | ${fmt(m.p99, 2)} | ${fmt(m.result["2xx"])} | ${m.result.errors}/${m.result.non2xx} |`)
  }
  const anon = median(anonymous.map((m) => m.result.requests.mean))
  const auth = median(withBearer.map((m) => m.result.requests.mean))
  const ratio = auth / anon
  const rate = issuance.result.requests.mean
  console.log(`\ntoken issuance: ${fmt(rate)} tokens/s, p99 ${fmt(issuance.p99, 2)} ms (target ≥ 5,000/s); ${fmt(rate / health.result.requests.mean, 2)}× GET /health of this run`)
  console.log(`cached read with a bearer token: ${fmt(auth)} req/s vs ${fmt(anon)} anonymous (medians of ${ROUNDS}): ${fmt(ratio, 3)}× (target ≥ 0.9×)`)
  const errors = rows.reduce((n, [, m]) => n + errorsOf(m), 0)
  if (errors > 0) {
    console.error(`${errors} request errors or non-2xx answers; marketgate's last lines:\n${output.slice(-30).join("\n")}`)
    return 1
  }
  return rate >= 5_000 && ratio >= 0.9 ? 0 : 2
}

main().then(
  async (code) => {
    await stop()
    process.exit(code)
  },
  async (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error))
    console.error(output.slice(-30).join("\n"))
    await stop()
    process.exit(1)
  }
)
