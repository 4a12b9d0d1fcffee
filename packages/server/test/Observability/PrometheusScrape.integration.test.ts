/**
 * The dashboards and rules against a real Prometheus (docs/dashboards.md).
 *
 * The lint of Dashboards.test.ts checks the queries against the metric
 * catalogue read from the source; this test checks what Grafana would show.
 * It starts the service process (scratch PostgreSQL database, a Redis of its
 * own), a real Prometheus (the Debian package) scraping it every second with
 * `honor_labels: true` and the rules of dashboards/rules/*.yml, and generates
 * bounded load against 127.0.0.1 — healthy traffic, and the conditions some
 * panels exist for: 4xx, 5xx and slow answers, stale cache entries, L1
 * evictions, single-flight joins, an L2 outage, a provider throttled by our
 * own rate limit (what it refuses is a 503: the demo world has no second
 * provider to fail over to, and never mixes with real ones), a database
 * write that fails, a failed backfill. Then:
 *
 * - every query variable of every dashboard lists at least one value;
 * - every Prometheus query of every panel, with the variables substituted as
 *   Grafana would ("All" selected), is valid and returns data — a range query
 *   over the scraped window, or an instant one where the target asks for it;
 * - every rule group of dashboards/rules is loaded, every rule's health is ok,
 *   and every recording rule's series exists (with its `job` label).
 *
 * Everything that fails is reported at once: dashboard, panel, query, reason.
 * Without `prometheus` on PATH the test fails (it never skips).
 */
import { assert, describe, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Context, Deferred, Effect, Fiber, Layer, Redacted, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as Yaml from "yaml"
import { freePort, randomNamespace, spawnRedisServer, waitUntil } from "../support/RedisTest.ts"
import * as Database from "../../src/Store/Database.ts"
import { loginHeaders } from "../support/ProcessLogin.ts"
import { spawnService } from "../support/ServiceProcess.ts"
import { scratchDatabase, tempDir } from "../support/TestDatabase.ts"

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url))
const DASHBOARDS = Path.join(ROOT, "dashboards")
const RULES = Path.join(DASHBOARDS, "rules")

/**
 * An instrument of the catalogue that no provider lists: the store knows it
 * (inserted before the service starts), the simulated provider does not, and
 * the other one is down, so a backfill of it fails.
 */
const PHANTOM = "QZQZQ.US"
/** A listing whose every provider call fails (SIMULATED_FAILING_SYMBOLS): a provider outage limited to it. */
const FAILING = "000002.SZ"

/** The first admin's password (ADMIN_PASSWORD); made up for this test. */
const ADMIN_PASSWORD = "scrape-test-admin-password"

/** The scrape job, as deploy/observability/prometheus names it: the dashboards' `$job`. */
const SCRAPE_JOB = "marketgate"

/**
 * `$__rate_interval` as Grafana computes it with the Prometheus data source's
 * default scrape-interval setting (15 s): max(4 × 15 s, $__interval + 15 s).
 */
const RATE_INTERVAL = "1m"
const BUILTINS: Readonly<Record<string, string>> = {
  __rate_interval: RATE_INTERVAL,
  __rate_interval_ms: "60000",
  __interval: "15s",
  __interval_ms: "15000",
  __range: "1h",
  __range_s: "3600",
  __range_ms: "3600000"
}

// ============================================================== processes

/** The first `name` on PATH that is an executable file. */
const onPath = (name: string): string | undefined =>
  (process.env.PATH ?? "").split(Path.delimiter).filter((d) => d.length > 0).map((d) => Path.join(d, name)).find((file) => {
    try {
      Fs.accessSync(file, Fs.constants.X_OK)
      return Fs.statSync(file).isFile()
    } catch {
      return false
    }
  })

const requirePrometheus = Effect.suspend(() => {
  const binary = onPath("prometheus")
  return binary !== undefined
    ? Effect.succeed(binary)
    : Effect.fail(
      new Error(
        "prometheus is not on PATH: this test needs a real Prometheus; install the Debian package with `apt-get install prometheus` (.ci/run does)"
      )
    )
})

const onDatabase = <A, E>(url: string, f: (sql: PgClient.PgClient) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    return yield* f(yield* PgClient.PgClient)
  }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })))

/** `prometheus` as a child process, killed (and waited for) when the scope closes. */
const spawnPrometheus = (binary: string, args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const child = ChildProcess.spawn(binary, [...args], { stdio: ["ignore", "pipe", "pipe"] })
      const output: Array<string> = []
      child.stdout!.on("data", (c: Buffer) => output.push(c.toString("utf8")))
      child.stderr!.on("data", (c: Buffer) => output.push(c.toString("utf8")))
      const exited = yield* Deferred.make<void>()
      child.once("error", (e) => {
        output.push(String(e))
        Deferred.doneUnsafe(exited, Effect.void)
      })
      child.once("exit", () => Deferred.doneUnsafe(exited, Effect.void))
      return { child, output, exited }
    }),
    ({ child, exited }) =>
      Effect.suspend(() => {
        if (child.exitCode !== null || child.signalCode !== null) return Effect.void
        child.kill("SIGTERM")
        return Deferred.await(exited).pipe(
          Effect.timeout("10 seconds"),
          Effect.catch(() => Effect.sync(() => child.kill("SIGKILL")).pipe(Effect.andThen(Deferred.await(exited)))),
          Effect.ignore
        )
      })
  )

// ============================================================== HTTP

type Json = Record<string, unknown>

interface Answer {
  readonly status: number
  readonly body: any
}

const request = (url: string, init: RequestInit = {}) =>
  Effect.tryPromise({
    try: async (signal): Promise<Answer> => {
      const response = await fetch(url, { ...init, signal: AbortSignal.any([signal, AbortSignal.timeout(15_000)]) })
      const text = await response.text()
      let body: unknown = text
      try {
        body = JSON.parse(text)
      } catch {
        // not JSON: kept as text
      }
      return { status: response.status, body }
    },
    catch: (e) => new Error(`${init.method ?? "GET"} ${url}: ${String(e)}`)
  })

// ============================================================== dashboards

const asObject = (u: unknown): Json | undefined => typeof u === "object" && u !== null && !Array.isArray(u) ? u as Json : undefined
const objects = (u: unknown): Array<Json> =>
  Array.isArray(u) ? u.flatMap((x): Array<Json> => {
    const o = asObject(x)
    return o === undefined ? [] : [o]
  }) : []
const asString = (u: unknown): string | undefined => typeof u === "string" ? u : undefined

/** Every panel, those inside (collapsed) rows included. */
const allPanels = (dashboard: Json): Array<Json> => objects(dashboard.panels).flatMap((panel) => [panel, ...objects(panel.panels)])

interface Dashboard {
  readonly file: string
  readonly json: Json
}

const dashboards = (): Array<Dashboard> =>
  Fs.readdirSync(DASHBOARDS).filter((f) => f.endsWith(".json")).sort().map((file) => ({
    file,
    json: JSON.parse(Fs.readFileSync(Path.join(DASHBOARDS, file), "utf8")) as Json
  }))

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** Grafana's variable syntaxes: `$name`, `${name}`, `${name:format}`, `[[name]]`. */
const substitute = (text: string, values: ReadonlyMap<string, string>) =>
  text.replace(/\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)/g, (all, a?: string, b?: string, c?: string) => {
    const name = a ?? b ?? c ?? ""
    return BUILTINS[name] ?? values.get(name) ?? all
  })

interface Failure {
  readonly where: string
  readonly expr: string
  readonly reason: string
}

const show = (f: Failure) => `${f.where}: ${f.reason}\n      ${f.expr.replace(/\s+/g, " ").trim()}`

// ============================================================== rules

interface RuleFileGroup {
  readonly file: string
  readonly name: string
  readonly records: ReadonlyArray<string>
  readonly rules: number
}

const ruleFiles = () => Fs.readdirSync(RULES).filter((f) => /\.ya?ml$/.test(f)).sort()

const ruleGroups = (): Array<RuleFileGroup> =>
  ruleFiles().flatMap((file) => {
    const doc = asObject(Yaml.parse(Fs.readFileSync(Path.join(RULES, file), "utf8")))
    return objects(doc?.groups).map((group) => {
      const rules = objects(group.rules)
      return {
        file,
        name: asString(group.name) ?? "",
        records: rules.flatMap((r) => asString(r.record) ?? []),
        rules: rules.length
      }
    })
  })

// ============================================================== the test

describe("dashboards and rules on a real Prometheus", () => {
  it.live("every panel query and every recording rule returns data while marketgate is scraped under load", () =>
    Effect.gen(function*() {
      const prometheusBinary = yield* requirePrometheus
      const testStarted = Date.now()

      // ---------------------------------------------------------------- marketgate
      const databaseUrl = yield* scratchDatabase("scrape")
      // Migrated here, so the phantom instrument is in the catalogue the service loads at start-up.
      yield* Effect.scoped(Effect.gen(function*() {
        const context = yield* Layer.build(Database.layerFor({ _tag: "Server", url: Redacted.make(databaseUrl), maxConnections: 1 }))
        const sql = Context.get(context, SqlClient.SqlClient)
        yield* sql`INSERT INTO instruments (symbol, code, exchange, market, name, board, currency, lot_size, listed_date, source)
                   VALUES (${PHANTOM}, ${PHANTOM.split(".")[0]!}, 'US', 'US', 'Phantom Inc.', 'nasdaq', 'USD', 1, '2001-01-02', 'test')`
      }))
      const taken = new Set<number>()
      const newPort = freePort.pipe(
        Effect.filterOrFail((p) => !taken.has(p), () => new Error("port already taken by this test")),
        Effect.retry({ times: 20 }),
        Effect.tap((p) => Effect.sync(() => taken.add(p)))
      )
      const redisPort = yield* newPort
      const redis = yield* spawnRedisServer(redisPort)
      const port = yield* newPort
      const base = `http://127.0.0.1:${port}`
      const service = yield* spawnService({
        HOST: "127.0.0.1",
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        CACHE_NAMESPACE: randomNamespace("scrape"),
        SCHEDULER_ENABLED: "false",
        PREWARM_COUNT: "0",
        SKIP_INTEGRITY_CHECK: "1",
        LOG_LEVEL: "warn",
        // Every provider call takes 350 ms: each cold load is a request slower than the 300 ms SLO threshold.
        SIMULATED_LATENCY_MS: "350",
        SIMULATED_FAILURE_RATE: "0",
        SOURCES: "simulated",
        SIMULATED_FAILING_SYMBOLS: FAILING,
        // Our own rate limit for the simulated provider: the steady load stays below it, the burst does not.
        SOURCE_SIMULATED_RATE_PER_SECOND: "20",
        SOURCE_SIMULATED_RATE_MAX_WAIT: "50 millis",
        SOURCE_SIMULATED_CONCURRENCY: "64",
        // Quotes go stale after a second (served stale, refreshed in the background); a small L1 evicts.
        CACHE_TTL_QUOTE: "1 second",
        CACHE_GRACE_QUOTE: "5 minutes",
        CACHE_L1_MAX_ENTRIES: "40",
        // The first admin, whose session makes the admin calls; quotas above what this load sends.
        ADMIN_PASSWORD: ADMIN_PASSWORD,
        RATE_LIMIT_ADMIN: "1000000",
        RATE_LIMIT_ANONYMOUS: "1000000"
      })
      yield* waitUntil(
        Effect.suspend(() =>
          service.child.exitCode !== null
            ? Effect.fail(new Error(`marketgate exited (code ${service.child.exitCode}) before it was ready; it printed:\n${service.lines.join("\n")}`))
            : Effect.map(Effect.option(request(`${base}/ready`)), (a) => a._tag === "Some" && a.value.status === 200)
        ),
        { within: "60 seconds", every: "200 millis", message: () => `marketgate did not become ready; it printed:\n${service.lines.join("\n")}` }
      )

      // ---------------------------------------------------------------- Prometheus
      const promDir = yield* tempDir("mg-prometheus-")
      const promPort = yield* newPort
      const prom = `http://127.0.0.1:${promPort}`
      const configFile = Path.join(promDir, "prometheus.yml")
      Fs.writeFileSync(
        configFile,
        Yaml.stringify({
          global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
          rule_files: [Path.join(RULES, "*.yml")],
          scrape_configs: [{
            job_name: SCRAPE_JOB,
            metrics_path: "/metrics",
            // job_runs_total has a `job` label of its own (the job kind): kept as is, as deployed.
            honor_labels: true,
            static_configs: [{ targets: [`127.0.0.1:${port}`], labels: { app: "marketgate" } }]
          }]
        })
      )
      const prometheus = yield* spawnPrometheus(prometheusBinary, [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${Path.join(promDir, "data")}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        "--log.level=warn"
      ])
      const promOutput = () => prometheus.output.join("").slice(-4000)
      // A rule file Prometheus cannot load stops it at start-up: its output says which and why.
      const EXITED = new Error("exited")
      yield* Effect.suspend(() =>
        prometheus.child.exitCode !== null || prometheus.child.signalCode !== null ? Effect.fail(EXITED) : request(`${prom}/-/ready`)
      ).pipe(
        Effect.filterOrFail((a) => a.status === 200, () => new Error("not ready")),
        Effect.retry({ schedule: Schedule.spaced("200 millis"), times: 100, while: (e) => e !== EXITED }),
        Effect.mapError((e) =>
          new Error(`Prometheus ${e === EXITED ? "exited" : "did not become ready within 20 s"}; it printed:\n${promOutput()}`)
        )
      )
      const scrapeStarted = Date.now() / 1000
      const promGet = (path: string, params: Record<string, string>) =>
        request(`${prom}${path}?${new URLSearchParams(params).toString()}`)
      yield* promGet("/api/v1/targets", {}).pipe(
        Effect.map((a) => objects(asObject(asObject(a.body)?.data)?.activeTargets)),
        Effect.filterOrFail((targets) => targets.length === 1 && targets[0]!.health === "up", (targets) =>
          new Error(`the scrape target is not up: ${JSON.stringify(targets)}`)),
        Effect.retry({ schedule: Schedule.spaced("250 millis"), times: 60 })
      )

      // ---------------------------------------------------------------- load
      const statuses = new Map<number, number>()
      const session = yield* Effect.promise(() => loginHeaders(base, "admin", ADMIN_PASSWORD))
      const call = (path: string, init: RequestInit = {}) =>
        request(`${base}${path}`, { ...init, headers: { ...session, ...(init.headers as Record<string, string> | undefined) } }).pipe(
          Effect.tap((a) => Effect.sync(() => statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1)))
        )
      const get = (path: string) => call(path)
      const post = (path: string, body: unknown) =>
        call(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      const all = (paths: ReadonlyArray<string>, concurrency: number) => Effect.forEach(paths, get, { concurrency, discard: true })

      const today = new Date().toISOString().slice(0, 10)
      const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10)
      const intraday = (symbol: string, interval: string) => `/v1/bars/${symbol}?interval=${interval}&from=${daysAgo(6)}&to=${today}`

      // Symbols listed for over a year and still listed, from the service's own catalogue.
      const listed = (market: string) =>
        get(`/v1/instruments?market=${market}&limit=400`).pipe(
          Effect.map((a) =>
            objects(asObject(asObject(a.body)?.data)?.instruments)
              .filter((i) => i.delisted_date === null && typeof i.listed_date === "string" && i.listed_date < daysAgo(800) && i.symbol !== FAILING)
              .map((i) => String(i.symbol))
          )
        )
      const cn = yield* listed("CN")
      const us = yield* listed("US")
      assert.isAtLeast(cn.length, 60, "CN instruments")
      assert.isAtLeast(us.length, 60, "US instruments")
      const take = (from: number, n: number) => [...cn.slice(from, from + n), ...us.slice(from, from + n)]
      const hot = take(0, 2)
      const wide = take(2, 12)
      const burst = take(14, 30)
      const [backfilled1, backfilled2, refused, singleFlight] = take(44, 2)
      const refusedSymbol = refused!

      // A steady trickle for the whole run: hot keys (quotes go stale after 1 s), the phantom
      // instrument (a 404: no provider has it), and the failing one, whose provider calls fail:
      // a 503 (and a slow answer) on every round, so the 5xx and provider-fault series grow from
      // scrape to scrape as real errors do, instead of appearing all at once.
      const steady = Effect.forEach(
        [
          `/v1/quotes?symbols=${hot.join(",")}`,
          `/v1/bars/${PHANTOM}`,
          `/v1/bars/${FAILING}`,
          `/v1/bars/${hot[0]}`,
          `/v1/indicators/${hot[2]}?name=rsi`,
          `/v1/quotes?symbols=${hot[1]}`,
          "/v1/sources",
          `/v1/instruments/${hot[3]}`,
          "/health"
        ],
        (path) => Effect.ignore(get(path)),
        { concurrency: 2, discard: true }
      ).pipe(Effect.repeat({ schedule: Schedule.spaced("300 millis"), times: 150 }))
      const steadyFiber = yield* Effect.forkChild(steady)

      // A backfill that succeeds, followed to its end (early: the job series then change from scrape to scrape).
      const runOf = (answer: Answer) => {
        const id = asObject(asObject(answer.body)?.data)?.run_id
        assert.strictEqual(answer.status, 202, JSON.stringify(answer.body))
        return id as number
      }
      const finished = (id: number) =>
        get("/v1/admin/jobs?kind=backfill&limit=20").pipe(
          Effect.map((a) => objects(asObject(asObject(a.body)?.data)?.runs).find((r) => r.id === id)),
          Effect.filterOrFail((run) => run !== undefined && run.status !== "running", () => new Error(`backfill run ${id} did not finish`)),
          Effect.retry({ schedule: Schedule.spaced("200 millis"), times: 150 })
        )
      const good = yield* finished(runOf(yield* post("/v1/admin/backfill", { symbols: [backfilled1, backfilled2], from: daysAgo(45), to: today })))
      assert.strictEqual(good!.status, "succeeded", JSON.stringify(good))

      // Healthy reads: every endpoint, daily (plain and adjusted) and intraday bars, indicators.
      yield* all(hot.map((s) => `/v1/bars/${s}`), 4)
      yield* all([
        ...hot.map((s) => `/v1/bars/${s}?adjust=qfq`),
        ...hot.map((s) => `/v1/bars/${s}?interval=1w`),
        ...hot.map((s) => intraday(s, "5m")),
        ...hot.map((s) => `/v1/indicators/${s}?name=sma&period=20`),
        ...hot.map((s) => `/v1/indicators/${s}?name=macd`),
        ...hot.map((s) => `/v1/indicators/${s}?name=boll`),
        `/v1/instruments?q=${encodeURIComponent(hot[0]!.slice(0, 4))}`,
        `/v1/lineage/${hot[0]}?date=${daysAgo(30)}`,
        "/openapi.json"
      ], 4)
      yield* post("/v1/bars/batch", { symbols: [hot[0], hot[2], "999999.SH"], interval: "1d", from: daysAgo(60), to: today })

      // Many distinct keys (one quote, one intraday series each): more entries than L1 keeps.
      yield* all(wide.flatMap((s) => [`/v1/quotes?symbols=${s}`, intraday(s, "30m")]), 4)

      // One cold key asked by eight callers at once: one load, seven joins.
      yield* all(Array.from({ length: 8 }, () => `/v1/bars/${singleFlight}?interval=1d&from=${daysAgo(200)}&to=${today}`), 8)

      // Client errors: unknown symbols (404, rejected before any lookup), bad parameters (400), unknown paths.
      yield* all([
        "/v1/bars/999999.SH",
        "/v1/quotes?symbols=999998.SZ",
        "/v1/instruments/ZZZZZZ.US",
        `/v1/bars/${hot[0]}?interval=2d`,
        `/v1/bars/${hot[0]}?from=2024-02-30`,
        `/v1/indicators/${hot[0]}?name=foo`,
        `/v1/bars/${hot[0]}?interval=1m&from=1990-01-01&to=${today}`,
        "/v1/no-such-endpoint"
      ], 4)

      // A burst of cold intraday series at once, beyond our rate limit for the simulated provider:
      // what it refuses is a 503. (A breaker that trips is shown by the alert-routing test.)
      yield* all(burst.map((s) => intraday(s, "15m")), burst.length)

      // Redis goes away for a while: L2 errors, its breaker opens; then it comes back.
      yield* redis.kill
      yield* all(wide.flatMap((s) => [`/v1/bars/${s}`, `/v1/quotes?symbols=${s}`]), 4)
      yield* spawnRedisServer(redisPort)
      yield* all(hot.map((s) => `/v1/bars/${s}?interval=1M`), 2)

      // A backfill that fails: a database that refuses the writes of one symbol (a failed store
      // operation; the fetched bars are still served), and an instrument no provider can fill.
      yield* onDatabase(databaseUrl, (sql) =>
        Effect.gen(function*() {
          yield* sql.unsafe(`CREATE FUNCTION mg_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'the scrape test refuses writes of %', NEW.symbol; END $$`)
          yield* sql.unsafe(`CREATE TRIGGER mg_test_refuse BEFORE INSERT OR UPDATE ON bars_daily FOR EACH ROW
            WHEN (NEW.symbol = '${refusedSymbol}') EXECUTE FUNCTION mg_test_refuse()`)
        }))
      const bad = yield* finished(runOf(yield* post("/v1/admin/backfill", { symbols: [refusedSymbol, PHANTOM], from: daysAgo(45), to: today })))
      assert.strictEqual(bad!.status, "failed", JSON.stringify(bad))
      yield* get(`/v1/bars/${refusedSymbol}`)

      // The steady trickle goes on while the checks below wait for the last scrapes and rule evaluations.
      const loadSummary = () =>
        [...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`).join(" ")

      // ---------------------------------------------------------------- the checks
      const files = dashboards()
      const groups = ruleGroups()

      const query = (expr: string, range: boolean) =>
        range
          ? promGet("/api/v1/query_range", {
            query: expr,
            start: String(scrapeStarted),
            end: String(Date.now() / 1000),
            step: "1"
          })
          : promGet("/api/v1/query", { query: expr, time: String(Date.now() / 1000) })

      /** Every value of a vector or matrix answer. */
      const valuesOf = (answer: Answer): Array<string> =>
        objects(asObject(asObject(answer.body)?.data)?.result).flatMap((s) =>
          Array.isArray(s.values)
            ? (s.values as Array<[number, string]>).map((v) => v[1])
            : Array.isArray(s.value)
            ? [String((s.value as [number, string])[1])]
            : []
        )

      /** Why the answer is not data: invalid, failed, or empty; undefined when it has data. */
      const problem = (answer: Answer): string | undefined => {
        const body = asObject(answer.body)
        if (body?.status !== "success") {
          return `invalid query (HTTP ${answer.status}, ${String(body?.errorType ?? "")}: ${String(body?.error ?? JSON.stringify(answer.body).slice(0, 300))})`
        }
        const data = asObject(body.data)
        const result = data?.result
        if (data?.resultType === "scalar" || data?.resultType === "string") return undefined
        const series = objects(result)
        if (series.length === 0) return "no data: the result is empty"
        if (data?.resultType === "matrix" && !series.some((s) => Array.isArray(s.values) && s.values.length > 0)) return "no data: no points"
        return undefined
      }

      const checkDashboards = Effect.gen(function*() {
        const failures: Array<Failure> = []
        /** Answers with data, but only NaN (Grafana shows "NaN"): reported, not failed. */
        const nanOnly: Array<Failure> = []
        let targets = 0
        let skipped = 0
        for (const { file, json } of files) {
          const variables = objects(asObject(json.templating)?.list)
          const dataSources = new Map(variables.filter((v) => v.type === "datasource").map((v) => [String(v.name), String(v.query)]))
          const typeOf = (ds: unknown) => {
            const uid = asString(asObject(ds)?.uid) ?? ""
            const ref = /^\$\{(\w+)\}$|^\$(\w+)$/.exec(uid)
            return ref === null ? asString(asObject(ds)?.type) : dataSources.get(ref[1] ?? ref[2]!)
          }

          // Variables, in order (later ones may use earlier ones), each as Grafana selects it by default.
          const values = new Map<string, string>()
          for (const v of variables) {
            const name = String(v.name)
            if (v.type === "datasource") continue
            if (v.type === "query") {
              const text = substitute(asString(asObject(v.query)?.query) ?? asString(v.query) ?? "", values)
              const lv = /^\s*label_values\(\s*(?:(.*),\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/.exec(text)
              let found: Array<string> = []
              if (lv === null) {
                failures.push({ where: `${file} › variable $${name}`, expr: text, reason: "not a label_values(…) query this test can run" })
              } else {
                const params: Record<string, string> = { start: String(scrapeStarted), end: String(Date.now() / 1000) }
                if (lv[1] !== undefined) params["match[]"] = lv[1]
                const answer = yield* promGet(`/api/v1/label/${lv[2]}/values`, params)
                found = Array.isArray(asObject(answer.body)?.data) ? (asObject(answer.body)!.data as Array<string>) : []
                const why = asObject(answer.body)?.status !== "success"
                  ? `invalid query (HTTP ${answer.status}: ${String(asObject(answer.body)?.error)})`
                  : found.length === 0
                  ? "no values: every panel using it would be empty"
                  : undefined
                if (why !== undefined) failures.push({ where: `${file} › variable $${name}`, expr: text, reason: why })
              }
              values.set(
                name,
                v.includeAll === true
                  ? (asString(v.allValue) ?? (found.length > 0 ? `(${found.map(escapeRegex).join("|")})` : ".*"))
                  : found[0] ?? ""
              )
            } else {
              const current = asObject(v.current)?.value
              const first = objects(v.options)[0]?.value
              values.set(name, String((Array.isArray(current) ? current[0] : current) ?? first ?? asString(v.query) ?? ""))
            }
          }

          for (const panel of allPanels(json)) {
            const title = asString(panel.title) ?? `panel ${String(panel.id)}`
            for (const target of objects(panel.targets)) {
              const type = typeOf(target.datasource ?? panel.datasource)
              const raw = asString(target.expr)
              if (type !== "prometheus" || raw === undefined) {
                skipped++
                continue
              }
              targets++
              const expr = substitute(raw, values)
              const where = `${file} › ${title} [${String(target.refId)}]`
              // ($1 … in label_replace are PromQL's own, not variables.)
              if (/\$[A-Za-z_]|\$\{|\[\[/.test(expr)) {
                failures.push({ where, expr, reason: "a variable the dashboard does not define is left in the query" })
                continue
              }
              const range = target.range === true || (target.range === undefined && target.instant !== true)
              const kinds = [...(range ? [true] : []), ...(target.instant === true ? [false] : [])]
              for (const asRange of kinds) {
                const answer = yield* query(expr, asRange)
                const why = problem(answer)
                const at = `${where} (${asRange ? "range" : "instant"})`
                if (why !== undefined) failures.push({ where: at, expr, reason: why })
                else if (valuesOf(answer).length > 0 && valuesOf(answer).every((v) => v === "NaN")) {
                  nanOnly.push({ where: at, expr, reason: "every value is NaN" })
                }
              }
            }
          }
        }
        return { failures, nanOnly, targets, skipped }
      })

      const checkRules = Effect.gen(function*() {
        const failures: Array<Failure> = []
        const answer = yield* promGet("/api/v1/rules", {})
        const loaded = objects(asObject(asObject(answer.body)?.data)?.groups)
        for (const group of groups) {
          const where = `rules/${group.file} › ${group.name}`
          const live = loaded.find((g) => g.name === group.name && Path.basename(String(g.file)) === group.file)
          if (live === undefined) {
            failures.push({ where, expr: "", reason: "the group is not loaded by Prometheus" })
            continue
          }
          const rules = objects(live.rules)
          if (rules.length !== group.rules) failures.push({ where, expr: "", reason: `${rules.length} rules loaded, ${group.rules} in the file` })
          for (const rule of rules) {
            if (rule.health !== "ok" || (asString(rule.lastError) ?? "") !== "") {
              failures.push({
                where: `${where} › ${String(rule.name)}`,
                expr: String(rule.query),
                reason: `health ${String(rule.health)}${rule.lastError ? `: ${String(rule.lastError)}` : ""}`
              })
            }
          }
        }
        for (const group of groups) {
          for (const record of group.records) {
            const where = `rules/${group.file} › ${group.name} › ${record}`
            const result = yield* query(record, false)
            const why = problem(result)
            if (why !== undefined) {
              failures.push({ where, expr: record, reason: why })
              continue
            }
            const series = objects(asObject(asObject(result.body)?.data)?.result)
            if (!series.every((s) => asObject(s.metric)?.job === SCRAPE_JOB)) {
              failures.push({ where, expr: record, reason: `a series without job="${SCRAPE_JOB}": ${JSON.stringify(series.map((s) => s.metric))}` })
            }
          }
        }
        return failures
      })

      // Counters need two scrapes after they appear, rules an evaluation after that: check until all
      // is well or the time is up (20 s), and report what is still failing then.
      const NOT_YET = new Error("some queries have no data yet")
      let rounds = 0
      let last: { failures: ReadonlyArray<Failure>; nanOnly: ReadonlyArray<Failure>; targets: number; skipped: number } = {
        failures: [],
        nanOnly: [],
        targets: 0,
        skipped: 0
      }
      yield* Effect.gen(function*() {
        rounds++
        const dashboardsChecked = yield* checkDashboards
        const rulesChecked = yield* checkRules
        last = { ...dashboardsChecked, failures: [...dashboardsChecked.failures, ...rulesChecked] }
        if (last.failures.length > 0) return yield* Effect.fail(NOT_YET)
      }).pipe(
        Effect.retry({ schedule: Schedule.spaced("1 second"), times: 20, while: (e) => e === NOT_YET }),
        Effect.catch((e) => e === NOT_YET ? Effect.void : Effect.fail(e))
      )
      yield* Fiber.interrupt(steadyFiber)

      const records = groups.reduce((n, g) => n + g.records.length, 0)
      const seconds = Math.round((Date.now() - testStarted) / 1000)
      assert.isAbove(last.targets, 50, "the dashboards' Prometheus queries")
      assert.isAbove(records, 10, "the recording rules")
      const summary = `${last.targets} panel queries of ${files.length} dashboards (${last.skipped} non-Prometheus targets not run), ` +
        `${records} recording rules in ${groups.length} rule groups, ${rounds} rounds of checks after ${seconds} s; answers ${loadSummary()}`
      if (last.nanOnly.length > 0) {
        console.warn(`${last.nanOnly.length} panel queries answer only NaN:\n  ${last.nanOnly.map(show).join("\n  ")}`)
      }
      if (last.failures.length > 0) {
        assert.fail(`${last.failures.length} queries are invalid or empty (${summary}):\n  ${last.failures.map(show).join("\n  ")}`)
      }
      console.info(`all data there: ${summary}`)
    }).pipe(Effect.scoped), { timeout: 180_000 })
})
