/**
 * Cache benchmark: marketgate's `MarketCache` vs bentocache, both with a
 * memory L1 and a Redis L2, under the same Zipf(1.1) workload over 5,000
 * symbols. Run with `npm run bench:cache` (Node 24; see docs/performance.md).
 *
 * For each scenario ("steady": nothing expires during the run; "expiring":
 * 1 s fresh + 1 s grace, so stale entries are served and refreshed and cold
 * ones expire; "expiring-paced": the same at a fixed start rate, so both
 * libraries see the same run length and key arrival times) and each round,
 * each library gets a fresh instance and empty Redis keys under its own
 * prefix, a discarded warm-up, then the measured operations. Round 1 runs marketgate then bentocache, round 2 the other way.
 * Every operation is a get-or-set whose loader waits `BENCH_CACHE_LOAD_MS`
 * (the same async function for both) and is timed with `performance.now()`
 * around the returned Promise.
 *
 * Env: BENCH_CACHE_OPS (measured operations per run, default 1000000: runs of
 *      8–12 s; at 200000 a run lasts under 2 s and the ratios swing ±20 %),
 *      BENCH_CACHE_WARMUP (discarded operations before them, default 20000),
 *      BENCH_CACHE_CONCURRENCY (operations in flight, default 32),
 *      BENCH_CACHE_ROUNDS (1 or 2, default 2),
 *      BENCH_CACHE_L1_ENTRIES (L1 bound, default 1000 of the 5000 keys),
 *      BENCH_CACHE_LOAD_MS (simulated provider delay, default 1),
 *      BENCH_CACHE_SCENARIOS (comma list of steady,expiring,expiring-paced;
 *      default all three),
 *      BENCH_CACHE_PACED_RATE (operations/s of expiring-paced, default 10000),
 *      BENCH_CACHE_LIBRARIES (comma list of marketgate,bentocache; default
 *      both: only for profiling one of them, prints no ratios).
 * Redis: 127.0.0.1:6379 only. Only keys under `bench-cache:` are written and
 * deleted (SCAN + UNLINK), before and after every run.
 * Exits non-zero on any failed or wrong get-or-set (a value for another
 * symbol, or not a Quote), and with 2 if the whole benchmark is not done
 * within 30 minutes (the default settings take about 6).
 */
import type { Quote } from "@marketgate/domain/Quote"
import type { Symbol } from "@marketgate/domain/Symbol"
import { createHash } from "node:crypto"
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { cpus } from "node:os"
import { setTimeout as sleep } from "node:timers/promises"
import { fileURLToPath } from "node:url"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { Redis } from "ioredis"
import { type CacheTarget, type Library, makeBentocache, makeMarketgate, type TargetConfig } from "./targets.ts"
import { makeQuote, makeSequence, makeSymbols, zipfHeadShare } from "./workload.ts"

const REDIS_URL = "redis://127.0.0.1:6379"
const KEYS = 5_000
const ZIPF_S = 1.1
const SEED = 0x5eed_1101
const ROOT_PREFIX = "bench-cache"
const PREFIXES: Record<Library, string> = {
  marketgate: `${ROOT_PREFIX}:marketgate:v1`,
  bentocache: `${ROOT_PREFIX}:bentocache`
}
const REDIS_TIMEOUT_MS = 100
/** The whole benchmark gives up (exit 2) after this long. */
const OVERALL_LIMIT_MS = 30 * 60_000

const intEnvEarly = (name: string, fallback: number): number => {
  const raw = process.env[name]
  const value = raw === undefined || raw.trim() === "" ? fallback : Number(raw)
  if (!Number.isInteger(value) || value < 100 || value > 1_000_000) throw new Error(`${name} must be an integer in [100, 1000000], got ${raw}`)
  return value
}
const PACED_RATE = intEnvEarly("BENCH_CACHE_PACED_RATE", 10_000)

interface Scenario {
  readonly name: "steady" | "expiring" | "expiring-paced"
  readonly freshMs: number
  readonly graceMs: number
  /** Operations are started no faster than this (measured phase and warm-up); unset: as fast as the library answers. */
  readonly ratePerSec?: number
  readonly note: string
}

const scenarios: ReadonlyArray<Scenario> = [
  { name: "steady", freshMs: 60_000, graceMs: 60_000, note: "fresh 60 s + grace 60 s: nothing expires during a run" },
  {
    name: "expiring",
    freshMs: 1_000,
    graceMs: 1_000,
    note: "fresh 1 s + grace 1 s: hot keys go stale and are refreshed in the background, cold keys expire and are loaded again. " +
      "Closed loop, so the faster library finishes sooner and sees fewer expiry cycles: its hit ratio is not comparable"
  },
  {
    name: "expiring-paced",
    freshMs: 1_000,
    graceMs: 1_000,
    ratePerSec: PACED_RATE,
    note: `as expiring, but operations start at a fixed ${PACED_RATE.toLocaleString("en-US")}/s for both libraries ` +
      "(same duration, same key arrival times): hit ratio and latency compared at equal load; ops/s is the pace, not capacity"
  }
]

const intEnv = (name: string, fallback: number, min: number, max: number): number => {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === "") return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`)
  }
  return value
}

const OPS = intEnv("BENCH_CACHE_OPS", 1_000_000, 1_000, 10_000_000)
/** A paced run lasts at most this long (its pace, not the libraries, sets its length). */
const PACED_SECONDS = 20
/** Measured operations of a run: OPS, or for a paced scenario at most PACED_SECONDS of its pace. */
const opsOf = (scenario: Scenario): number =>
  scenario.ratePerSec === undefined ? OPS : Math.min(OPS, PACED_SECONDS * scenario.ratePerSec)
const WARMUP = intEnv("BENCH_CACHE_WARMUP", 20_000, 0, 10_000_000)
const CONCURRENCY = intEnv("BENCH_CACHE_CONCURRENCY", 32, 1, 4_096)
const ROUNDS = intEnv("BENCH_CACHE_ROUNDS", 2, 1, 2)
const L1_ENTRIES = intEnv("BENCH_CACHE_L1_ENTRIES", 1_000, 1, 1_000_000)
const LOAD_MS = intEnv("BENCH_CACHE_LOAD_MS", 1, 0, 1_000)
const L1_BYTES = 1024 * 1024
const selected = (process.env["BENCH_CACHE_SCENARIOS"] ?? "steady,expiring,expiring-paced").split(",").map((s) => s.trim())
for (const s of selected) {
  if (!scenarios.some((x) => x.name === s)) throw new Error(`BENCH_CACHE_SCENARIOS: unknown scenario ${JSON.stringify(s)}`)
}
const libraries = (process.env["BENCH_CACHE_LIBRARIES"] ?? "marketgate,bentocache").split(",").map((s) => s.trim())
for (const l of libraries) {
  if (l !== "marketgate" && l !== "bentocache") throw new Error(`BENCH_CACHE_LIBRARIES: unknown library ${JSON.stringify(l)}`)
}
const bothLibraries = libraries.includes("marketgate") && libraries.includes("bentocache")

/** A full GC between runs, so one library's garbage is not collected on the other's time. */
setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

// ---------------------------------------------------------------------------
// Redis housekeeping (a separate control connection; loopback only)

const control = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2_000 })
control.on("error", () => {})

/** Deletes every key under `prefix:` with SCAN + UNLINK; never touches anything else. */
const deletePrefix = async (prefix: string): Promise<number> => {
  if (!prefix.startsWith(`${ROOT_PREFIX}:`)) throw new Error(`refusing to delete outside ${ROOT_PREFIX}: ${prefix}`)
  let cursor = "0"
  let deleted = 0
  for (let i = 0; i < 1_000_000; i++) {
    const [next, keys] = await control.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1_000)
    if (keys.length > 0) deleted += await control.unlink(...keys)
    cursor = next
    if (cursor === "0") return deleted
  }
  throw new Error(`SCAN of ${prefix}:* did not finish`)
}

/**
 * Redis commands sent by the library under test, counted client-side: both
 * libraries talk to Redis through ioredis (the same module instance), so one
 * wrapper around `sendCommand` counts both the same way, and other clients of
 * the shared Redis do not show up. The control connection is not counted.
 */
const redisCommands = new Map<string, number>()
const sendCommand = Redis.prototype.sendCommand
Redis.prototype.sendCommand = function(this: Redis, ...args: Parameters<Redis["sendCommand"]>) {
  if (this !== control) {
    const name = args[0].name
    redisCommands.set(name, (redisCommands.get(name) ?? 0) + 1)
  }
  return sendCommand.apply(this, args)
}

/**
 * CPU time of the whole machine (Linux /proc/stat, USER_HZ = 100), of this
 * process and of Redis (`INFO cpu`): what is left is other processes, i.e.
 * noise. Undefined where /proc/stat is not readable.
 */
interface CpuSnapshot {
  readonly machineBusy: number | undefined
  readonly own: number
  readonly redis: number
}

const cpuSnapshot = async (): Promise<CpuSnapshot> => {
  let machineBusy: number | undefined
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal …
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0)
    machineBusy = (total - fields[3]! - fields[4]!) / 100
  } catch {
    machineBusy = undefined
  }
  const usage = process.cpuUsage()
  const info = await control.info("cpu")
  const num = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, "m").exec(info)?.[1] ?? 0)
  return { machineBusy, own: (usage.user + usage.system) / 1e6, redis: num("used_cpu_user") + num("used_cpu_sys") }
}

const otherCpuShare = (a: CpuSnapshot, b: CpuSnapshot, seconds: number): number | undefined => {
  if (a.machineBusy === undefined || b.machineBusy === undefined) return undefined
  const other = b.machineBusy - a.machineBusy - (b.own - a.own) - (b.redis - a.redis)
  return Math.max(0, other) / (seconds * cpus().length)
}

// ---------------------------------------------------------------------------
// Workload

const symbols = makeSymbols(KEYS)
const indexOf = new Map<string, number>(symbols.map((s, i) => [s, i]))
const sequence = makeSequence(KEYS, ZIPF_S, WARMUP + OPS, SEED)

/** Counts every loader call; the provider answers after `LOAD_MS`. */
const makeLoader = (counter: { calls: number }) => async (symbol: Symbol): Promise<Quote> => {
  counter.calls++
  await sleep(LOAD_MS)
  return makeQuote(symbol, indexOf.get(symbol)!, Date.now())
}

interface PhaseResult {
  readonly seconds: number
  readonly failures: number
  readonly wrong: number
  readonly firstError: unknown
}

/**
 * `CONCURRENCY` callers take the next operation of `sequence[from, to)` until
 * none is left; each get-or-set is timed from the caller's side.
 */
const runPhase = async (
  target: CacheTarget,
  from: number,
  to: number,
  latencies: Float64Array | undefined,
  ratePerSec: number | undefined
): Promise<PhaseResult> => {
  let next = from
  let failures = 0
  let wrong = 0
  let firstError: unknown = undefined
  const start = performance.now()
  const worker = async () => {
    while (next < to) {
      const i = next++
      if (ratePerSec !== undefined) {
        // Operation i starts no earlier than its slot; latency is still timed from the call.
        const wait = start + ((i - from) * 1000) / ratePerSec - performance.now()
        if (wait >= 1) await sleep(Math.floor(wait))
      }
      const symbol = symbols[sequence[i]!]!
      const t0 = performance.now()
      try {
        const quote = await target.getOrSet(symbol)
        const dt = performance.now() - t0
        if (latencies !== undefined) latencies[i - from] = dt
        if (quote.symbol !== symbol) {
          wrong++
          firstError ??= new Error(`asked for ${symbol}, got ${JSON.stringify(quote).slice(0, 200)}`)
        }
      } catch (error) {
        failures++
        firstError ??= error
        if (latencies !== undefined) latencies[i - from] = performance.now() - t0
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  return { seconds: (performance.now() - start) / 1000, failures, wrong, firstError }
}

interface RunResult {
  readonly scenario: Scenario["name"]
  readonly library: Library
  readonly round: number
  readonly opsPerSec: number
  readonly seconds: number
  readonly latencies: Float64Array
  readonly loaderCalls: number
  readonly warmupLoaderCalls: number
  readonly failures: number
  readonly wrong: number
  readonly redisCalls: Map<string, number>
  readonly l2Errors: number
  readonly warnings: number
  /** Share of the machine's CPU used by other processes than this one and Redis during the measured phase. */
  readonly otherCpu: number | undefined
}

const percentile = (sorted: Float64Array, p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!

const runOne = async (scenario: Scenario, library: Library, round: number): Promise<RunResult> => {
  await deletePrefix(PREFIXES.marketgate)
  await deletePrefix(PREFIXES.bentocache)
  gc()
  const counter = { calls: 0 }
  const config: TargetConfig = {
    redisUrl: REDIS_URL,
    prefix: PREFIXES[library],
    freshMs: scenario.freshMs,
    graceMs: scenario.graceMs,
    l1MaxEntries: L1_ENTRIES,
    l1MaxBytes: L1_BYTES,
    redisTimeoutMs: REDIS_TIMEOUT_MS,
    load: makeLoader(counter)
  }
  const target = library === "marketgate" ? await makeMarketgate(config) : await makeBentocache(config)
  try {
    const warm = await runPhase(target, 0, WARMUP, undefined, scenario.ratePerSec)
    const warmupLoaderCalls = counter.calls
    const ops = opsOf(scenario)
    const latencies = new Float64Array(ops)
    redisCommands.clear()
    const loadsBefore = counter.calls
    const cpuBefore = await cpuSnapshot()
    const measured = await runPhase(target, WARMUP, WARMUP + ops, latencies, scenario.ratePerSec)
    const otherCpu = otherCpuShare(cpuBefore, await cpuSnapshot(), measured.seconds)
    const loaderCalls = counter.calls - loadsBefore
    const redisCalls = new Map(redisCommands)
    // Background refreshes still running finish before the instance is closed.
    await sleep(100)
    const stats = await target.stats()
    const failures = warm.failures + measured.failures
    const wrong = warm.wrong + measured.wrong
    if (failures + wrong > 0) {
      console.error(`${scenario.name}/${library}: ${failures} failed and ${wrong} wrong get-or-set; first:`, warm.firstError ?? measured.firstError)
    }
    return {
      scenario: scenario.name,
      library,
      round,
      opsPerSec: ops / measured.seconds,
      seconds: measured.seconds,
      latencies,
      loaderCalls,
      warmupLoaderCalls,
      failures,
      wrong,
      redisCalls,
      l2Errors: stats.l2Errors,
      warnings: stats.warnings,
      otherCpu
    }
  } finally {
    await target.close()
    await deletePrefix(PREFIXES[library])
  }
}

// ---------------------------------------------------------------------------
// Report

const int = (n: number) => Math.round(n).toLocaleString("en-US")
const fixed = (n: number, d: number) => n.toFixed(d)

const table = (header: ReadonlyArray<string>, align: ReadonlyArray<"l" | "r">, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((c, i) => (align[i] === "r" ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`
  const rule = `|${widths.map((w, i) => (align[i] === "r" ? `${"-".repeat(w + 1)}:` : `${"-".repeat(w + 2)}`)).join("|")}|`
  return [line(header), rule, ...rows.map(line)].join("\n")
}

interface Summary {
  readonly opsPerSec: number
  readonly p50: number
  readonly p99: number
  readonly hitRatio: number
  readonly loaderCalls: number
  readonly ops: number
  readonly redisPerOp: number
}

const summarise = (runs: ReadonlyArray<RunResult>): Summary => {
  const all = new Float64Array(runs.reduce((n, r) => n + r.latencies.length, 0))
  let offset = 0
  for (const r of runs) {
    all.set(r.latencies, offset)
    offset += r.latencies.length
  }
  all.sort()
  const ops = all.length
  const seconds = runs.reduce((n, r) => n + r.seconds, 0)
  const loaderCalls = runs.reduce((n, r) => n + r.loaderCalls, 0)
  const redis = runs.reduce((n, r) => n + [...r.redisCalls.values()].reduce((a, b) => a + b, 0), 0)
  return {
    opsPerSec: ops / seconds,
    p50: percentile(all, 0.5) * 1000,
    p99: percentile(all, 0.99) * 1000,
    hitRatio: 1 - loaderCalls / ops,
    loaderCalls,
    ops,
    redisPerOp: redis / ops
  }
}

const gitFacts = (): string => {
  const root = fileURLToPath(new URL("../../", import.meta.url))
  const file = "packages/server/src/Cache/MarketCache.ts"
  const sha = createHash("sha256").update(readFileSync(`${root}${file}`)).digest("hex").slice(0, 12)
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim()
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "packages/server/src/Cache"], { cwd: root, encoding: "utf8" }).trim()
    return `git ${head}, ${file} sha256 ${sha}${dirty === "" ? "" : " (packages/server/src/Cache has uncommitted changes)"}`
  } catch {
    return `${file} sha256 ${sha}`
  }
}

const main = async () => {
  const watchdog = setTimeout(() => {
    console.error(`bench:cache: not finished within ${OVERALL_LIMIT_MS / 60_000} minutes; giving up`)
    process.exit(2)
  }, OVERALL_LIMIT_MS)
  watchdog.unref()
  await control.connect()
  const bentoVersion = (JSON.parse(readFileSync(fileURLToPath(new URL("../../node_modules/bentocache/package.json", import.meta.url)), "utf8")) as {
    version: string
  }).version
  const sample = JSON.stringify(makeQuote(symbols[0]!, 0, Date.now()))
  const cpuList = cpus()
  console.log(`marketgate cache benchmark — ${new Date().toISOString()}`)
  console.log(`node ${process.version}, ${cpuList.length} CPUs (${cpuList[0]?.model ?? "?"}); Redis ${REDIS_URL} (shared by both, own key prefixes)`)
  console.log(`marketgate MarketCache (${gitFacts()}) vs bentocache ${bentoVersion}`)
  console.log(
    `workload: ${int(KEYS)} symbols, Zipf(${ZIPF_S}) (top ${int(L1_ENTRIES)} keys = ${fixed(zipfHeadShare(KEYS, ZIPF_S, L1_ENTRIES) * 100, 1)} % of lookups), seed ${SEED}; ` +
      `${int(WARMUP)} warm-up (discarded) + ${int(OPS)} measured get-or-set per run (paced runs: at most ${PACED_SECONDS} s of their pace), concurrency ${CONCURRENCY}`
  )
  console.log(
    `both: L1 memory ≤ ${int(L1_ENTRIES)} entries and ≤ ${int(L1_BYTES)} bytes, L2 Redis (command timeout ${REDIS_TIMEOUT_MS} ms), ` +
      `loader = ${LOAD_MS} ms setTimeout then a ${sample.length}-byte Quote; per-op latency = performance.now() around the awaited get-or-set`
  )
  console.log(`marketgate: ManagedRuntime.make(MarketCache.layer + RedisRemoteCache.layer + MetricsRegistry.layerTest), runtime.runPromise(getOrLoad) per op`)
  console.log(`bentocache: getOrSet({ key, factory, ttl: fresh, grace: fresh + grace }), memoryDriver + redisDriver, no bus, soft timeout 0 (SWR)`)
  for (const s of scenarios) if (selected.includes(s.name)) console.log(`scenario ${s.name}: ${s.note}`)
  console.log(`order: round 1 marketgate then bentocache, round 2 bentocache then marketgate; fresh instance, empty prefixes and a full GC before each run`)
  console.log("")

  const results: Array<RunResult> = []
  for (const scenario of scenarios) {
    if (!selected.includes(scenario.name)) continue
    for (let round = 1; round <= ROUNDS; round++) {
      const order: ReadonlyArray<Library> = round % 2 === 1 ? ["marketgate", "bentocache"] : ["bentocache", "marketgate"]
      for (const library of order) {
        if (!libraries.includes(library)) continue
        const r = await runOne(scenario, library, round)
        results.push(r)
        const s = summarise([r])
        console.error(
          `  done ${scenario.name} round ${round} ${library}: ${int(s.opsPerSec)} ops/s, p99 ${fixed(s.p99, 0)} µs, ` +
            `${int(r.loaderCalls)} loads (warm-up ${int(r.warmupLoaderCalls)}), redis ${[...r.redisCalls].map(([c, n]) => `${c}=${n}`).join(" ")}, ` +
            `L2 errors ${r.l2Errors}, warnings ${r.warnings}`
        )
      }
    }
  }

  const rows = results.map((r) => {
    const s = summarise([r])
    return [
      r.scenario,
      r.library,
      String(r.round),
      int(s.opsPerSec),
      int(s.p50),
      int(s.p99),
      fixed(s.hitRatio * 100, 3) + " %",
      int(r.loaderCalls),
      fixed(s.redisPerOp, 3),
      String(r.l2Errors),
      r.otherCpu === undefined ? "n/a" : `${fixed(r.otherCpu * 100, 0)} %`,
      fixed(r.seconds, 1)
    ]
  })
  console.log(table(
    ["scenario", "library", "round", "ops/s", "p50 µs", "p99 µs", "hit ratio", "loader calls", "Redis cmds/op", "L2 errors", "other CPU", "secs"],
    ["l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
    rows
  ))
  console.log("")

  const ratioRows: Array<Array<string>> = []
  for (const scenario of scenarios) {
    if (!selected.includes(scenario.name) || !bothLibraries) continue
    const groups: Array<[string, (r: RunResult) => boolean]> = []
    for (let round = 1; round <= ROUNDS; round++) groups.push([String(round), (r) => r.round === round])
    if (ROUNDS > 1) groups.push(["all", () => true])
    for (const [label, keep] of groups) {
      const pick = (library: Library) => summarise(results.filter((r) => r.scenario === scenario.name && r.library === library && keep(r)))
      const mg = pick("marketgate")
      const bc = pick("bentocache")
      ratioRows.push([
        scenario.name,
        label,
        fixed(mg.opsPerSec / bc.opsPerSec, 2),
        fixed(mg.p99 / bc.p99, 2),
        fixed(mg.p50 / bc.p50, 2),
        `${(mg.hitRatio - bc.hitRatio) * 100 >= 0 ? "+" : ""}${fixed((mg.hitRatio - bc.hitRatio) * 100, 3)} pp`
      ])
    }
  }
  if (ratioRows.length > 0) {
    console.log(table(
      ["scenario", "round", "ops/s mg/bento", "p99 mg/bento", "p50 mg/bento", "hit ratio mg − bento"],
      ["l", "r", "r", "r", "r", "r"],
      ratioRows
    ))
    console.log("")
    console.log(`ratios: marketgate ÷ bentocache (ops/s > 1: marketgate faster; p99 < 1: marketgate lower). "all" pools both rounds' operations.`)
  }
  console.log(
    `columns: hit ratio = 1 − loader calls ÷ measured operations (background refreshes count as loader calls); ` +
      `Redis cmds/op = commands both libraries sent through ioredis during the measured phase ÷ operations; ` +
      `other CPU = machine CPU used by processes other than this one and Redis during the measured phase (noise; should be ~0)`
  )

  const failed = results.reduce((n, r) => n + r.failures + r.wrong, 0)
  await control.quit()
  if (failed > 0) {
    console.error(`bench:cache: ${failed} get-or-set operations failed or returned the wrong value`)
    process.exitCode = 1
  }
}

main().catch(async (error) => {
  console.error("bench:cache failed:", error)
  try {
    await deletePrefix(PREFIXES.marketgate)
    await deletePrefix(PREFIXES.bentocache)
  } catch {}
  control.disconnect()
  process.exit(1)
})
