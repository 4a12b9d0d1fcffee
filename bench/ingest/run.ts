/**
 * Ingest benchmark: daily bars per second written into a real PostgreSQL by
 * marketgate's store write path and by a whole backfill, against PostgreSQL's
 * own `COPY FROM STDIN` of the same rows. Run with `npm run bench:ingest`
 * (Node 24; see docs/performance.md, "Ingest throughput").
 *
 * 1. Creates a uniquely named database (`mg_bench_ingest_<pid>_<random>`) on
 *    the server of `BENCH_INGEST_DATABASE_URL`, migrates it by building
 *    `Database.layerFor({ _tag: "Server", url, maxConnections })`, and adds
 *    two tables `(LIKE bars_daily INCLUDING ALL)` (same columns, defaults,
 *    checks and primary key) for the baselines. The database is dropped at
 *    the end, on failure and on Ctrl-C too.
 * 2. Warm-up (discarded): `Backfill.run` over `BENCH_INGEST_SYMBOLS` simulated
 *    symbols × the year 2025. The rows it stored are read back: they are the
 *    data set every target below writes, so all targets write the same rows.
 * 3. `BENCH_INGEST_ROUNDS` rounds (default 4) of these targets, in the order
 *    A…E, E…A, E…A, A…E, so a drift over the run (page cache, WAL, the JIT,
 *    other load) weighs the same on all of them:
 *    - copy: `COPY bars_daily_copy (…) FROM STDIN (FORMAT csv)` run by a
 *      `psql` child process, the CSV piped to its stdin. The time is the CSV
 *      encoding in this process plus the COPY statement as psql's `\timing`
 *      reports it (psql's start and connection are not counted; the sql
 *      client marketgate uses has no COPY support);
 *    - upsert 250 / upsert 5000: `DailyBarRepo.upsert` (multi-row unnest
 *      INSERT … ON CONFLICT DO UPDATE … WHERE … IS DISTINCT FROM) called
 *      one batch after another with batches of that many rows, into the
 *      emptied `bars_daily`; then the same calls again, which change nothing
 *      (the idempotent re-run of a backfill), timed separately;
 *    - naive: one `INSERT … VALUES (…)` per row, each its own transaction,
 *      for the first `BENCH_INGEST_NAIVE_ROWS` rows only, with the same sql
 *      client and pool;
 *    - backfill: a fresh app (`services({...})` from App.ts as the test app
 *      builds it: simulated source with zero latency, MarketCache.layerTest,
 *      DailyHistory.layerTest, Scheduler.layerNone, TradingCalendars.layer,
 *      MetricsRegistry.layerTest) over the emptied bar tables, then
 *      `Backfill.run` of the same symbols and year, timed around the call.
 *      Its log lines are formatted as production formats them (JSON) but
 *      kept in memory: the batch lines' step fields (pool_wait_ms,
 *      request_ms, decode_ms, db_write_ms) are summed, and a tracer sums the
 *      time of every span by name, to show where the time goes.
 *    A `CHECKPOINT` and a full GC come before every measured run.
 * 4. Prints one row per run, the ratios to COPY (per round, against that
 *    round's COPY, and pooled over the rounds), and the backfill breakdown.
 *
 * CPU during each run is split (Linux /proc) into this process with its
 * children (psql), every PostgreSQL process (the server is shared: other
 * databases' work shows here, and transactions committed in other databases
 * during the run are counted), and the rest of the machine (noise).
 *
 * Env: BENCH_INGEST_DATABASE_URL (a database to connect to for CREATE and
 *      DROP DATABASE, default postgres://postgres@127.0.0.1:5432/postgres),
 *      BENCH_INGEST_SYMBOLS (symbols × 1 year, default 200),
 *      BENCH_INGEST_ROUNDS (default 4), BENCH_INGEST_NAIVE_ROWS (default 3000),
 *      BENCH_INGEST_POOL (connections of each pool, default 10, as
 *      DATABASE_POOL_SIZE), BENCH_INGEST_TARGETS (comma list of copy,
 *      upsert-250,upsert-5000,naive,backfill; default all).
 * Exits non-zero on a failed write, a row count or content that differs from
 * the data set, a backfill with failed symbols, or after 20 minutes (exit 2).
 */
import { PgClient } from "@effect/sql-pg"
import { services } from "@marketgate/server/App"
import { MarketCache } from "@marketgate/server/Cache/MarketCache"
import { TradingCalendars } from "@marketgate/server/Calendar/TradingCalendars"
import { Backfill } from "@marketgate/server/Jobs/Backfill"
import { Scheduler } from "@marketgate/server/Jobs/Scheduler"
import { DailyHistory } from "@marketgate/server/MarketData/DailyHistory"
import { jsonLine } from "@marketgate/server/Observability/Logging"
import { MetricsRegistry } from "@marketgate/server/Observability/MetricsRegistry"
import { tierDefaults } from "@marketgate/server/Sources/Resilience/SourceSettings"
import * as Simulated from "@marketgate/server/Sources/Simulated/SimulatedSource"
import { simulatedUniverse } from "@marketgate/server/Sources/Simulated/Universe"
import * as Sources from "@marketgate/server/Sources/SourcesLayer"
import * as Database from "@marketgate/server/Store/Database"
import { DailyBarRepo, type DailyBarRow } from "@marketgate/server/Store/DailyBarRepo"
import { Duration, Effect, Layer, Logger, ManagedRuntime, Redacted, References, Tracer } from "effect"
import { SqlClient } from "effect/sql"
import { execFileSync, spawn } from "node:child_process"
import { createHash } from "node:crypto"
import { readdirSync, readFileSync } from "node:fs"
import { cpus, totalmem } from "node:os"
import { fileURLToPath } from "node:url"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"

// ---------------------------------------------------------------------------
// Settings

const intEnv = (name: string, fallback: number, min: number, max: number): number => {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === "") return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`)
  }
  return value
}

const ADMIN_URL = process.env["BENCH_INGEST_DATABASE_URL"]?.trim() || "postgres://postgres@127.0.0.1:5432/postgres"
const SYMBOLS = intEnv("BENCH_INGEST_SYMBOLS", 200, 1, 5_000)
const ROUNDS = intEnv("BENCH_INGEST_ROUNDS", 4, 1, 8)
const NAIVE_ROWS = intEnv("BENCH_INGEST_NAIVE_ROWS", 3_000, 10, 1_000_000)
const POOL = intEnv("BENCH_INGEST_POOL", 10, 2, 100)
/** Calls per second the simulated provider's rate limiter allows (production default: 50). */
const PROVIDER_RATE = 1_000_000
const FROM = "2025-01-01"
const TO = "2025-12-31"
const OVERALL_LIMIT_MS = 20 * 60_000

type TargetName = "copy" | "upsert-250" | "upsert-5000" | "naive" | "backfill"
const allTargets: ReadonlyArray<TargetName> = ["copy", "upsert-250", "upsert-5000", "naive", "backfill"]
const selected = (process.env["BENCH_INGEST_TARGETS"] ?? allTargets.join(",")).split(",").map((s) => s.trim()).filter((s) => s !== "")
for (const s of selected) {
  if (!allTargets.includes(s as TargetName)) throw new Error(`BENCH_INGEST_TARGETS: unknown target ${JSON.stringify(s)}`)
}
const targets = allTargets.filter((t) => selected.includes(t))

const dbName = `mg_bench_ingest_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
const withDatabase = (url: string, database: string) => {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}
const BENCH_URL = withDatabase(ADMIN_URL, dbName)

/** A full GC between runs, so one target's garbage is not collected on the next one's time. */
setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

const COLUMNS = "symbol, date, open, high, low, close, volume, amount, adj_factor, suspended, source, fetched_at, ingest_run_id, checks"

// ---------------------------------------------------------------------------
// CPU accounting (Linux /proc; USER_HZ = 100)

const TICK = 100

interface Proc {
  readonly comm: string
  readonly ppid: number
  /** utime + stime of the process, and of its exited children it has waited for (cutime + cstime), in ticks. */
  readonly ticks: number
  readonly child: number
  /** Start time since boot (ticks): tells a reused pid apart. */
  readonly started: number
}

type CpuClass = "bench" | "postgres" | "kernel" | "other"

const scanProcs = (): Map<number, Proc> => {
  const procs = new Map<number, Proc>()
  let entries: Array<string>
  try {
    entries = readdirSync("/proc")
  } catch {
    return procs
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue
    try {
      const s = readFileSync(`/proc/${name}/stat`, "utf8")
      const close = s.lastIndexOf(")")
      // After "comm)": state ppid … utime(14) stime(15) cutime(16) cstime(17) … starttime(22), counted from field 3.
      const f = s.slice(close + 2).trim().split(" ")
      procs.set(Number(name), {
        comm: s.slice(s.indexOf("(") + 1, close),
        ppid: Number(f[1]),
        ticks: Number(f[11]) + Number(f[12]),
        child: Number(f[13]) + Number(f[14]),
        started: Number(f[19])
      })
    } catch {
      // Exited while scanning.
    }
  }
  return procs
}

const classOf = (pid: number, p: Proc | undefined): CpuClass =>
  pid === process.pid
    ? "bench"
    : p === undefined
    ? "other"
    : p.comm === "postgres"
    ? "postgres"
    : pid === 2 || p.ppid === 2
    ? "kernel"
    : "other"

interface CpuSnapshot {
  readonly at: number
  readonly machineBusy: number | undefined
  readonly procs: Map<number, Proc>
}

const cpuSnapshot = (): CpuSnapshot => {
  let machineBusy: number | undefined
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal …
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0)
    machineBusy = total - fields[3]! - fields[4]!
  } catch {
    machineBusy = undefined
  }
  return { at: performance.now(), machineBusy, procs: scanProcs() }
}

interface CpuShares {
  /** Shares of the whole machine (all cores) over the run; undefined without /proc. */
  readonly bench: number | undefined
  readonly postgres: number | undefined
  readonly kernel: number | undefined
  /** Every other process, plus CPU time no live process accounts for (processes that ended unreaped). */
  readonly other: number | undefined
  /** The other process that used the most, e.g. "node 12 %". */
  readonly topOther: string
}

/**
 * CPU of the interval by who used it: each process's own time and its reaped
 * children's (psql counts as the bench, ended backends as PostgreSQL through
 * the postmaster), kernel threads, everything else.
 */
const cpuShares = (a: CpuSnapshot, b: CpuSnapshot): CpuShares => {
  const capacity = ((b.at - a.at) / 1000) * cpus().length * TICK
  if (a.machineBusy === undefined || b.machineBusy === undefined || a.procs.size === 0) {
    return { bench: undefined, postgres: undefined, kernel: undefined, other: undefined, topOther: "" }
  }
  const sums: Record<CpuClass, number> = { bench: 0, postgres: 0, kernel: 0, other: 0 }
  const others = new Map<string, number>()
  for (const [pid, end] of b.procs) {
    const start = a.procs.get(pid)
    // Not the name: kernel workers and Node rename themselves while they run.
    const same = start !== undefined && start.started === end.started
    const used = end.ticks + end.child - (same ? start.ticks + start.child : 0)
    const cls = classOf(pid, end)
    sums[cls] += used
    if (cls === "other") others.set(end.comm, (others.get(end.comm) ?? 0) + used)
  }
  // A process that ended during the run: the child time of its nearest ancestor
  // still running now holds all of its life, of which the part before the run
  // was not used during the run.
  for (const [pid, start] of a.procs) {
    if (b.procs.get(pid)?.started === start.started) continue
    let ancestor = start.ppid
    for (let depth = 0; depth < 64 && ancestor > 1 && !b.procs.has(ancestor); depth++) {
      ancestor = a.procs.get(ancestor)?.ppid ?? 0
    }
    const survivor = b.procs.get(ancestor)
    if (survivor === undefined) continue
    const cls = classOf(ancestor, survivor)
    sums[cls] -= start.ticks + start.child
    if (cls === "other") others.set(survivor.comm, (others.get(survivor.comm) ?? 0) - start.ticks - start.child)
  }
  const attributed = sums.bench + sums.postgres + sums.kernel + sums.other
  const unaccounted = Math.max(0, b.machineBusy - a.machineBusy - attributed)
  const top = [...others].sort((x, y) => y[1] - x[1])[0]
  return {
    bench: Math.max(0, sums.bench) / capacity,
    postgres: Math.max(0, sums.postgres) / capacity,
    kernel: Math.max(0, sums.kernel) / capacity,
    other: (Math.max(0, sums.other) + unaccounted) / capacity,
    topOther: top === undefined || top[1] <= 0 ? "" : `${top[0]} ${Math.round((top[1] / capacity) * 100)} %`
  }
}

// ---------------------------------------------------------------------------
// Database: admin connection (create/drop), the bench's own store runtime

const adminRun = <A, E>(f: (sql: PgClient.PgClient) => Effect.Effect<A, E>) =>
  Effect.runPromise(
    Effect.gen(function*() {
      return yield* f(yield* PgClient.PgClient)
    }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(ADMIN_URL), maxConnections: 1, applicationName: "marketgate-bench-ingest" })))
  )

let created = false
const dropDatabase = async () => {
  if (!created) return
  await adminRun((sql) => sql`DROP DATABASE IF EXISTS ${sql(dbName)} WITH (FORCE)`)
  created = false
}

const databaseLayer = () => Database.layerFor({ _tag: "Server", url: Redacted.make(BENCH_URL), maxConnections: POOL })

/** The store as the app builds it (DailyBarRepo.layer over Database.layerFor), for the store-path targets. */
const storeLayer = DailyBarRepo.layer.pipe(Layer.provideMerge(databaseLayer()))
type StoreRuntime = ManagedRuntime.ManagedRuntime<Layer.Success<typeof storeLayer>, unknown>

const withSql = <A>(store: StoreRuntime, f: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  store.runPromise(Effect.gen(function*() {
    return yield* f(yield* SqlClient.SqlClient)
  }))

// ---------------------------------------------------------------------------
// The data set

const pickSymbols = (n: number): ReadonlyArray<string> => {
  const universe = simulatedUniverse().filter((i) => i.listed_date !== null && i.listed_date < FROM && i.kind !== "index" && (i.delisted_date === null || i.delisted_date > TO))
  if (n > universe.length) throw new Error(`BENCH_INGEST_SYMBOLS=${n}: the simulated universe has ${universe.length} symbols listed through ${FROM}…${TO}`)
  // Evenly spaced over the sorted universe: a mix of SH, SZ and US listings.
  return Array.from({ length: n }, (_, i) => universe[Math.floor((i * universe.length) / n)]!.symbol)
}

const readRows = (store: StoreRuntime, table: string) =>
  withSql(store, (sql) =>
    sql<DailyBarRow>`
      SELECT symbol, to_char(date, 'YYYY-MM-DD') AS date, open, high, low, close, volume::float8 AS volume, amount,
             adj_factor AS "adjFactor", suspended, source,
             (extract(epoch FROM fetched_at) * 1000)::float8 AS "fetchedAt",
             ingest_run_id::float8 AS "ingestRunId", checks
      FROM ${sql(table)} ORDER BY symbol, date`)

const csvOf = (rows: ReadonlyArray<DailyBarRow>): string => {
  const lines = new Array<string>(rows.length)
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!
    lines[i] = `${r.symbol},${r.date},${r.open},${r.high},${r.low},${r.close},${r.volume},${r.amount},${r.adjFactor},` +
      `${r.suspended ? "t" : "f"},${r.source},${new Date(r.fetchedAt).toISOString()},${r.ingestRunId ?? ""},"{${r.checks.join(",")}}"`
  }
  return lines.join("\n") + "\n"
}

// ---------------------------------------------------------------------------
// Targets

/** What was measured around one run. */
interface Facts {
  readonly seconds: number
  readonly cpu: CpuShares
  /** Transactions committed or rolled back in other databases of the server during the run. */
  readonly otherDbXacts: number | undefined
  /** WAL the server wrote during the run (all databases). */
  readonly walBytes: number
}

interface Run {
  readonly target: string
  readonly round: number
  readonly rows: number
  /** Rows the write reported as inserted or changed (upsert), or rows copied/inserted. */
  readonly written: number
  readonly facts: Facts
  readonly backfill?: BackfillFacts
}

interface BackfillFacts {
  readonly counts: Record<string, number>
  readonly steps: Record<string, number>
  readonly spans: Map<string, { ms: number; count: number }>
  readonly logLines: number
  readonly logBytes: number
  readonly warnings: Array<string>
}

const xactsByDatabase = (store: StoreRuntime) =>
  withSql(store, (sql) =>
    sql<{ datname: string; n: number }>`
      SELECT datname, (xact_commit + xact_rollback)::float8 AS n
      FROM pg_stat_database WHERE datname IS NOT NULL AND datname <> ${dbName}`).then((rows) => new Map(rows.map((r) => [r.datname, r.n])))

const walLsn = (store: StoreRuntime) =>
  withSql(store, (sql) => sql<{ lsn: string }>`SELECT pg_current_wal_lsn()::text AS lsn`).then((r) => r[0]!.lsn)

const walSince = (store: StoreRuntime, lsn: string) =>
  withSql(store, (sql) => sql<{ n: number }>`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), ${lsn}::pg_lsn)::float8 AS n`).then((r) => r[0]!.n)

/**
 * Empties the tables, checkpoints and collects garbage, then times `body`
 * (or takes the time it reports), with the CPU, WAL and other databases'
 * activity of the interval.
 */
const measured = async <A>(
  store: StoreRuntime,
  truncate: ReadonlyArray<string>,
  body: () => Promise<{ seconds?: number; value: A }>
): Promise<{ value: A; facts: Facts }> => {
  if (truncate.length > 0) await withSql(store, (sql) => sql`TRUNCATE ${sql.literal(truncate.join(", "))}`)
  await withSql(store, (sql) => sql`CHECKPOINT`)
  gc()
  const xactsBefore = await xactsByDatabase(store)
  const lsn = await walLsn(store)
  const before = cpuSnapshot()
  const started = performance.now()
  const result = await body()
  const wall = (performance.now() - started) / 1000
  const after = cpuSnapshot()
  const walBytes = await walSince(store, lsn)
  const xactsAfter = await xactsByDatabase(store)
  let otherDbXacts = 0
  for (const [name, n] of xactsAfter) otherDbXacts += Math.max(0, n - (xactsBefore.get(name) ?? 0))
  return { value: result.value, facts: { seconds: result.seconds ?? wall, cpu: cpuShares(before, after), otherDbXacts, walBytes } }
}

const count = (store: StoreRuntime, table: string) =>
  withSql(store, (sql) => sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql(table)}`).then((r) => r[0]!.n)

const failures: Array<string> = []
const check = (ok: boolean, what: string) => {
  if (!ok) {
    failures.push(what)
    console.error(`FAIL: ${what}`)
  }
}

/** COPY through psql: CSV piped to its stdin; the statement's time as psql's \timing reports it. */
const psqlCopy = (csv: string): Promise<{ ms: number; copied: number }> =>
  new Promise((resolve, reject) => {
    const child = spawn("psql", [
      "-X",
      "-v",
      "ON_ERROR_STOP=1",
      "-d",
      BENCH_URL,
      "-c",
      "\\timing on",
      "-c",
      `COPY bars_daily_copy (${COLUMNS}) FROM STDIN (FORMAT csv)`
    ], { stdio: ["pipe", "pipe", "pipe"] })
    let out = ""
    let err = ""
    child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")))
    child.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")))
    child.on("error", reject)
    child.stdin.on("error", () => {})
    child.on("close", (code) => {
      const copied = /^COPY (\d+)$/m.exec(out)
      const times = [...out.matchAll(/^Time: ([0-9.]+) ms/gm)]
      if (code !== 0 || copied === null || times.length === 0) {
        reject(new Error(`psql COPY failed (exit ${code}): ${err.trim() || out.trim()}`))
        return
      }
      resolve({ ms: Number(times.at(-1)![1]), copied: Number(copied[1]) })
    })
    child.stdin.end(csv)
  })

const runCopy = async (store: StoreRuntime, rows: ReadonlyArray<DailyBarRow>, round: number): Promise<Array<Run>> => {
  const m = await measured(store, ["bars_daily_copy"], async () => {
    const t0 = performance.now()
    const csv = csvOf(rows)
    const encodeMs = performance.now() - t0
    const { copied, ms } = await psqlCopy(csv)
    if (process.env["BENCH_INGEST_DEBUG"] === "1") console.error(`    copy: CSV encoding ${fixed(encodeMs, 0)} ms, COPY statement ${fixed(ms, 0)} ms`)
    return { seconds: (encodeMs + ms) / 1000, value: copied }
  })
  check(m.value === rows.length && (await count(store, "bars_daily_copy")) === rows.length, `copy round ${round}: ${m.value} rows copied, expected ${rows.length}`)
  return [{ target: "copy (psql COPY FROM STDIN)", round, rows: rows.length, written: m.value, facts: m.facts }]
}

const upsertAll = (rows: ReadonlyArray<DailyBarRow>, batch: number) =>
  Effect.gen(function*() {
    const repo = yield* DailyBarRepo
    let written = 0
    for (let i = 0; i < rows.length; i += batch) written += yield* repo.upsert(rows.slice(i, i + batch))
    return written
  })

const runUpsert = async (store: StoreRuntime, rows: ReadonlyArray<DailyBarRow>, batch: number, round: number): Promise<Array<Run>> => {
  const first = await measured(store, ["bars_daily"], async () => ({ value: await store.runPromise(upsertAll(rows, batch)) }))
  check(first.value === rows.length && (await count(store, "bars_daily")) === rows.length, `upsert ${batch} round ${round}: wrote ${first.value}, expected ${rows.length}`)
  const again = await measured(store, [], async () => ({ value: await store.runPromise(upsertAll(rows, batch)) }))
  check(again.value === 0, `re-upsert ${batch} round ${round}: wrote ${again.value} rows, expected 0 (no-op)`)
  return [
    { target: `upsert, batch ${batch}`, round, rows: rows.length, written: first.value, facts: first.facts },
    { target: `re-upsert (no-op), batch ${batch}`, round, rows: rows.length, written: again.value, facts: again.facts }
  ]
}

const runNaive = async (store: StoreRuntime, rows: ReadonlyArray<DailyBarRow>, round: number): Promise<Array<Run>> => {
  const some = rows.slice(0, NAIVE_ROWS)
  const insertEach = Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    for (const r of some) {
      yield* sql`
        INSERT INTO bars_daily_naive (${sql.literal(COLUMNS)})
        VALUES (${r.symbol}, ${r.date}::date, ${String(r.open)}::float8, ${String(r.high)}::float8, ${String(r.low)}::float8,
                ${String(r.close)}::float8, ${String(r.volume)}::bigint, ${String(r.amount)}::float8, ${String(r.adjFactor)}::float8,
                ${String(r.suspended)}::boolean, ${r.source}, ${new Date(r.fetchedAt).toISOString()}::timestamptz,
                ${r.ingestRunId === null ? null : String(r.ingestRunId)}::bigint, ${r.checks}::text[])`
    }
    return some.length
  })
  const m = await measured(store, ["bars_daily_naive"], async () => ({ value: await store.runPromise(insertEach) }))
  check((await count(store, "bars_daily_naive")) === some.length, `naive round ${round}: row count differs from ${some.length}`)
  return [{ target: "naive, 1 row per INSERT", round, rows: some.length, written: m.value, facts: m.facts }]
}

// ---------------------------------------------------------------------------
// The backfill: the whole app, as the test app composes it

const STEP_FIELDS = ["pool_wait_ms", "request_ms", "decode_ms", "db_write_ms", "provider_calls"] as const

/** Collects what one app instance logs and which spans it runs. */
class Observer {
  steps: Record<string, number> = {}
  spans = new Map<string, { ms: number; count: number }>()
  logLines = 0
  logBytes = 0
  warnings: Array<string> = []
  recording = false

  reset() {
    this.steps = Object.fromEntries(STEP_FIELDS.map((f) => [f, 0]))
    this.spans = new Map()
    this.logLines = 0
    this.logBytes = 0
    this.warnings = []
  }

  /** Formats each line as production does (JSON), keeps the step fields of the backfill's batch lines. */
  readonly logger = Logger.make((options) => {
    if (!this.recording) return
    const line = jsonLine.log(options)
    this.logLines++
    this.logBytes += line.length + 1
    const annotations = options.fiber.getRef(References.CurrentLogAnnotations) as Record<string, unknown>
    if (annotations["step"] === "batch") {
      for (const f of STEP_FIELDS) this.steps[f] = (this.steps[f] ?? 0) + Number(annotations[f] ?? 0)
    }
    if ((options.logLevel === "Warn" || options.logLevel === "Error" || options.logLevel === "Fatal") && this.warnings.length < 5) {
      this.warnings.push(line.slice(0, 400))
    }
  })

  readonly tracer = (() => {
    const observer = this
    class TimedSpan extends Tracer.NativeSpan {
      override end(endTime: bigint, exit: Parameters<Tracer.NativeSpan["end"]>[1]) {
        super.end(endTime, exit)
        if (!observer.recording) return
        const s = observer.spans.get(this.name)
        const ms = Number(endTime - this.startTime) / 1e6
        if (s === undefined) observer.spans.set(this.name, { ms, count: 1 })
        else {
          s.ms += ms
          s.count++
        }
      }
    }
    return Tracer.make({ span: (options) => new TimedSpan(options) })
  })()
}

const observer = new Observer()

const appLayer = () =>
  services({
    database: databaseLayer(),
    source: Sources.layerFor([{
      layer: Simulated.layer({ seed: 42, latency: Duration.zero, failureRate: 0 }),
      // The simulated provider's production settings (SourcesLayer `adapters`: paid tier, cost 0)
      // with its rate limit lifted: at 50 calls/s (one call per symbol-year) the limiter, not the
      // ingest path, would set the pace, and calls beyond it fail as Throttled.
      settings: {
        ...tierDefaults.paid,
        cost: 0,
        name: "simulated",
        priority: 0,
        tier: "paid",
        rateLimit: { ...tierDefaults.paid.rateLimit, maxPerSecond: PROVIDER_RATE }
      }
    }], { budget: Duration.seconds(4) }),
    cache: MarketCache.layerTest,
    history: DailyHistory.layerTest,
    scheduler: Scheduler.layerNone,
    calendars: TradingCalendars.layer,
    metrics: MetricsRegistry.layerTest
  }).pipe(
    // Merged into the runtime's context, so the job's own fibers log and trace through them.
    Layer.provideMerge(Layer.mergeAll(
      Logger.layer([observer.logger]),
      Layer.succeed(References.MinimumLogLevel, "Info"),
      Layer.succeed(Tracer.Tracer, observer.tracer)
    ))
  )

const BACKFILL_TABLES = ["bars_daily", "corporate_actions", "quality_quarantine", "ingest_runs"]

const backfillOnce = async (store: StoreRuntime, symbols: ReadonlyArray<string>) => {
  const app = ManagedRuntime.make(appLayer())
  try {
    // Build the app (migrations already applied, catalog loaded) before the clock starts.
    const backfill = await app.runPromise(Effect.gen(function*() {
      return yield* Backfill
    }))
    const m = await measured(store, BACKFILL_TABLES, async () => {
      observer.reset()
      observer.recording = true
      try {
        const outcome = await app.runPromise(backfill.run({ symbols, from: FROM, to: TO }, "bench"))
        return { value: outcome }
      } finally {
        observer.recording = false
      }
    })
    if (m.value._tag !== "Finished" || m.value.status !== "succeeded") throw new Error(`backfill did not succeed: ${JSON.stringify(m.value)}`)
    const backfillFacts: BackfillFacts = {
      counts: m.value.counts,
      steps: observer.steps,
      spans: observer.spans,
      logLines: observer.logLines,
      logBytes: observer.logBytes,
      warnings: observer.warnings
    }
    return { facts: m.facts, backfill: backfillFacts }
  } finally {
    await app.dispose()
  }
}

const runBackfill = async (store: StoreRuntime, symbols: ReadonlyArray<string>, expected: number, round: number): Promise<Array<Run>> => {
  const m = await backfillOnce(store, symbols)
  const c = m.backfill.counts
  check((c["failed"] ?? 0) === 0, `backfill round ${round}: ${c["failed"]} symbols failed`)
  check(c["written"] === expected && (await count(store, "bars_daily")) === expected, `backfill round ${round}: wrote ${c["written"]}, expected ${expected}`)
  return [{ target: "backfill (Backfill.run)", round, rows: c["written"] ?? 0, written: c["written"] ?? 0, facts: m.facts, backfill: m.backfill }]
}

// ---------------------------------------------------------------------------
// Report

const int = (n: number) => Math.round(n).toLocaleString("en-US")
const fixed = (n: number, d: number) => n.toFixed(d)
const pct = (n: number | undefined) => (n === undefined ? "n/a" : `${fixed(n * 100, 0)} %`)

const table = (header: ReadonlyArray<string>, align: ReadonlyArray<"l" | "r">, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((c, i) => (align[i] === "r" ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`
  const rule = `|${widths.map((w, i) => (align[i] === "r" ? `${"-".repeat(w + 1)}:` : `${"-".repeat(w + 2)}`)).join("|")}|`
  return [line(header), rule, ...rows.map(line)].join("\n")
}

const pooled = (runs: ReadonlyArray<Run>) => {
  const rows = runs.reduce((n, r) => n + r.rows, 0)
  const seconds = runs.reduce((n, r) => n + r.facts.seconds, 0)
  return rows / seconds
}

const gitFacts = (): string => {
  const root = fileURLToPath(new URL("../../", import.meta.url))
  const files = ["packages/server/src/Store/DailyBarRepo.ts", "packages/server/src/Jobs/Backfill.ts", "packages/server/src/MarketData/DailyHistory.ts"]
  const shas = files.map((f) => `${f.split("/").at(-1)} ${createHash("sha256").update(readFileSync(`${root}${f}`)).digest("hex").slice(0, 12)}`)
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim()
    const dirty = execFileSync("git", ["status", "--porcelain", "--", ...files, "packages/server/src/Store"], { cwd: root, encoding: "utf8" }).trim()
    return `git ${head}, sha256 ${shas.join(", ")}${dirty === "" ? "" : " (uncommitted changes in these files or Store/)"}`
  } catch {
    return `sha256 ${shas.join(", ")}`
  }
}

const main = async (): Promise<number> => {
  const watchdog = setTimeout(() => {
    console.error(`bench:ingest: not finished within ${OVERALL_LIMIT_MS / 60_000} minutes; giving up`)
    void dropDatabase().finally(() => process.exit(2))
  }, OVERALL_LIMIT_MS)
  watchdog.unref()

  const cpuList = cpus()
  console.log(`marketgate ingest benchmark — ${new Date().toISOString()}`)
  console.log(`node ${process.version}, ${cpuList.length} CPUs (${cpuList[0]?.model ?? "?"}), ${fixed(totalmem() / 2 ** 30, 0)} GiB; PostgreSQL on the same machine`)
  console.log(`marketgate ${gitFacts()}`)

  await adminRun((sql) => sql`CREATE DATABASE ${sql(dbName)}`)
  created = true
  const store: StoreRuntime = ManagedRuntime.make(storeLayer)
  try {
    const settings = await withSql(store, (sql) =>
      sql<{ name: string; setting: string; unit: string | null }>`
        SELECT name, setting, unit FROM pg_settings
        WHERE name IN ('server_version', 'shared_buffers', 'synchronous_commit', 'fsync', 'wal_level', 'full_page_writes',
                       'max_wal_size', 'autovacuum', 'commit_delay', 'wal_compression')
        ORDER BY name`)
    console.log(
      `PostgreSQL ${new URL(ADMIN_URL).host}, database ${dbName} (created, migrated with Database.layerFor({ _tag: "Server", maxConnections: ${POOL} }), dropped at the end); ` +
        settings.map((s) => `${s.name}=${s.setting}${s.unit !== null && s.unit !== "" ? ` ${s.unit}` : ""}`).join(", ")
    )
    await withSql(store, (sql) =>
      Effect.all([
        sql`CREATE TABLE bars_daily_copy (LIKE bars_daily INCLUDING ALL)`,
        sql`CREATE TABLE bars_daily_naive (LIKE bars_daily INCLUDING ALL)`
      ]))

    const symbols = pickSymbols(SYMBOLS)
    const markets = new Map<string, number>()
    for (const s of symbols) markets.set(s.split(".")[1]!, (markets.get(s.split(".")[1]!) ?? 0) + 1)
    console.error(`warm-up: Backfill.run over ${symbols.length} symbols, ${FROM} … ${TO} (discarded; its rows are the data set)`)
    const warm = await backfillOnce(store, symbols)
    if ((warm.backfill.counts["failed"] ?? 0) > 0) {
      throw new Error(`warm-up backfill: ${warm.backfill.counts["failed"]} symbols failed (${warm.backfill.warnings[0] ?? "no warning logged"})`)
    }
    const rows = await readRows(store, "bars_daily")
    const suspended = rows.filter((r) => r.suspended).length
    console.error(`  warm-up backfill: ${int(rows.length)} bars in ${fixed(warm.facts.seconds, 1)} s`)
    console.log(
      `data set: the ${int(rows.length)} bars a Backfill.run stored for ${symbols.length} simulated symbols ` +
        `(${[...markets].map(([m, n]) => `${n} ${m}`).join(", ")}; evenly spaced over the universe) × ${FROM} … ${TO} ` +
        `(${int(suspended)} of them synthesised suspension bars), ~${int(Buffer.byteLength(csvOf(rows)) / rows.length)} bytes/row as CSV; ` +
        `ordered by (symbol, date); every target writes these rows into an emptied table with bars_daily's definition`
    )
    console.log(
      `targets: copy = psql COPY FROM STDIN (FORMAT csv) into bars_daily_copy, time = CSV encoding here + COPY statement (psql \\timing), psql start not counted; ` +
        `upsert N = DailyBarRepo.upsert called with N-row batches one after another, then the same again (re-upsert, no-op); ` +
        `naive = the first ${int(NAIVE_ROWS)} rows, one INSERT … VALUES per row, autocommit, same sql client; ` +
        `backfill = Backfill.run on a fresh app (services(): simulated source, zero latency, paid-tier policies with the rate limit lifted (16 calls in flight, ${int(PROVIDER_RATE)} calls/s instead of 50), ` +
        `MarketCache.layerTest, DailyHistory.layerTest, Scheduler.layerNone, TradingCalendars.layer, MetricsRegistry.layerTest; JSON log lines formatted, kept in memory), ` +
        `timed around the call`
    )
    console.log(
      `order: ${ROUNDS} rounds, targets in order ${targets.join(" → ")} in rounds 1 and 4, reversed in rounds 2 and 3; ` +
        `tables emptied (TRUNCATE), CHECKPOINT and a full GC before each measured run`
    )
    console.log("")

    const runs: Array<Run> = []
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 4 === 2 || round % 4 === 3 ? [...targets].reverse() : targets
      for (const target of order) {
        const done = target === "copy"
          ? await runCopy(store, rows, round)
          : target === "upsert-250"
          ? await runUpsert(store, rows, 250, round)
          : target === "upsert-5000"
          ? await runUpsert(store, rows, 5000, round)
          : target === "naive"
          ? await runNaive(store, rows, round)
          : await runBackfill(store, symbols, rows.length, round)
        runs.push(...done)
        for (const r of done) {
          const f = r.facts
          console.error(
            `  round ${round} ${r.target}: ${int(r.rows / f.seconds)} rows/s (${int(r.rows)} rows in ${fixed(f.seconds, 2)} s), ` +
              `WAL ${fixed(f.walBytes / 2 ** 20, 1)} MiB, CPU bench ${pct(f.cpu.bench)} postgres ${pct(f.cpu.postgres)} kernel ${pct(f.cpu.kernel)} ` +
              `other ${pct(f.cpu.other)}${f.cpu.topOther === "" ? "" : ` (most: ${f.cpu.topOther})`}, other DBs' xacts ${f.otherDbXacts ?? "n/a"}`
          )
        }
      }
    }

    // Content check: the upsert path stores exactly what COPY stores.
    if (targets.includes("copy") && (targets.includes("upsert-5000") || targets.includes("upsert-250"))) {
      await withSql(store, (sql) => sql`TRUNCATE bars_daily, bars_daily_copy`)
      await psqlCopy(csvOf(rows))
      await store.runPromise(upsertAll(rows, 5000))
      const [diff] = await withSql(store, (sql) =>
        sql<{ n: number }>`
          SELECT count(*)::int AS n FROM bars_daily b FULL JOIN bars_daily_copy c USING (symbol, date)
          WHERE (b.open, b.high, b.low, b.close, b.volume, b.amount, b.adj_factor, b.suspended, b.source, b.fetched_at, b.ingest_run_id, b.checks)
            IS DISTINCT FROM (c.open, c.high, c.low, c.close, c.volume, c.amount, c.adj_factor, c.suspended, c.source, c.fetched_at, c.ingest_run_id, c.checks)`)
      check(diff?.n === 0, `content check: ${diff?.n} rows differ between bars_daily (upsert) and bars_daily_copy (COPY)`)
      console.log(`content check: upsert and COPY stored identical rows (${int(rows.length)} rows compared, ${diff?.n} differ)`)
    }

    const targetNames = [...new Set(runs.map((r) => r.target))]
    console.log("")
    console.log(table(
      ["target", "round", "rows", "secs", "rows/s", "written", "WAL B/row", "CPU bench", "CPU postgres", "CPU kernel", "CPU other", "other DBs' xacts"],
      ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
      runs.map((r) => [
        r.target,
        String(r.round),
        int(r.rows),
        fixed(r.facts.seconds, 2),
        int(r.rows / r.facts.seconds),
        int(r.written),
        int(r.facts.walBytes / r.rows),
        pct(r.facts.cpu.bench),
        pct(r.facts.cpu.postgres),
        pct(r.facts.cpu.kernel),
        pct(r.facts.cpu.other),
        r.facts.otherDbXacts === undefined ? "n/a" : int(r.facts.otherDbXacts)
      ])
    ))
    console.log("")

    const copyRuns = runs.filter((r) => r.target.startsWith("copy"))
    if (copyRuns.length > 0) {
      const ratioRows: Array<Array<string>> = []
      for (const name of targetNames) {
        const mine = runs.filter((r) => r.target === name)
        const perRound = Array.from({ length: ROUNDS }, (_, i) => {
          const a = mine.filter((r) => r.round === i + 1)
          const b = copyRuns.filter((r) => r.round === i + 1)
          return a.length === 0 || b.length === 0 ? "—" : fixed(pooled(a) / pooled(b), 3)
        })
        ratioRows.push([name, int(pooled(mine)), ...perRound, fixed(pooled(mine) / pooled(copyRuns), 3)])
      }
      console.log(table(
        ["target", "rows/s (all rounds)", ...Array.from({ length: ROUNDS }, (_, i) => `÷ COPY r${i + 1}`), "÷ COPY all"],
        ["l", "r", ...Array.from({ length: ROUNDS }, () => "r" as const), "r"],
        ratioRows
      ))
      console.log("")
      console.log(`ratios: target rows/s ÷ COPY rows/s (> 1: faster than COPY); per round against that round's COPY run; "all" = rows ÷ seconds summed over the rounds.`)
    }

    const backfills = runs.filter((r) => r.backfill !== undefined)
    if (backfills.length > 0) {
      const wall = backfills.reduce((n, r) => n + r.facts.seconds, 0) * 1000
      const nSymbols = backfills.length * symbols.length
      const spans = new Map<string, { ms: number; count: number }>()
      const steps: Record<string, number> = {}
      for (const r of backfills) {
        for (const [name, s] of r.backfill!.spans) {
          const t = spans.get(name) ?? { ms: 0, count: 0 }
          t.ms += s.ms
          t.count += s.count
          spans.set(name, t)
        }
        for (const [k, v] of Object.entries(r.backfill!.steps)) steps[k] = (steps[k] ?? 0) + v
      }
      const symbolTime = spans.get("DailyHistory.sessions")?.ms ?? Number.NaN
      console.log("")
      console.log(
        `backfill, where the time goes (${backfills.length} measured runs, ${int(nSymbols)} symbol fills, ${fixed(wall / 1000, 1)} s wall; ` +
          `symbol time = Σ DailyHistory.sessions spans = ${fixed(symbolTime / wall, 2)} × wall, i.e. that many symbols in flight on average):`
      )
      const stepRows = STEP_FIELDS.filter((f) => f !== "provider_calls").map((f) => [
        `log field ${f}`,
        int(steps[f] ?? 0),
        fixed((steps[f] ?? 0) / nSymbols, 2),
        pct((steps[f] ?? 0) / symbolTime)
      ])
      const spanRows = [...spans]
        .filter(([name]) => !name.startsWith("job.") && name !== "Backfill.fill")
        .sort((a, b) => b[1].ms - a[1].ms)
        .slice(0, 14)
        .map(([name, s]) => [`span ${name} (${int(s.count)} calls)`, int(s.ms), fixed(s.ms / nSymbols, 2), pct(s.ms / symbolTime)])
      console.log(table(["what", "total ms", "ms per symbol", "share of symbol time"], ["l", "r", "r", "r"], [...stepRows, ...spanRows]))
      console.log(
        `log fields: summed from the backfill's per-batch log lines (provider_calls ${int(steps["provider_calls"] ?? 0)}); ` +
          `spans: summed durations by name (nested spans overlap: DailyBarRepo.* are inside DailyHistory.sessions, sql spans inside DailyBarRepo.*)`
      )
      const last = backfills.at(-1)!.backfill!
      console.log(
        `per run: ${int(last.logLines)} log lines, ${int(last.logBytes)} bytes; counts ${JSON.stringify(last.counts)}` +
          (last.warnings.length > 0 ? `; warnings e.g. ${last.warnings[0]}` : "; no warnings")
      )
    }
    console.log(
      `columns: rows/s = rows ÷ secs; written = rows the write reported inserted or changed (re-upsert: 0 = the WHERE … IS DISTINCT FROM skipped every row); ` +
        `WAL B/row = WAL the server wrote during the run ÷ rows; ` +
        `CPU = share of the whole machine (${cpuList.length} cores) during the run (wall time, psql start included) used by this process with its psql child, ` +
        `by all PostgreSQL processes (the server is shared), by kernel threads (writeback, journal), and by everything else (noise; should be ~0); ` +
        `other DBs' xacts = transactions in other databases of the same server during the run (should be ~0)`
    )
    return failures.length > 0 ? 1 : 0
  } finally {
    await store.dispose().catch(() => {})
    await dropDatabase().catch((error: unknown) => console.error(`could not drop ${dbName}: ${String(error)}`))
  }
}

let interrupted = false
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    if (interrupted) return
    interrupted = true
    console.error(`\n${signal}: dropping ${dbName}`)
    void dropDatabase().catch(() => {}).finally(() => process.exit(130))
  })
}

try {
  process.exitCode = await main()
} catch (error) {
  console.error("bench:ingest failed:", error)
  process.exitCode = 1
}
