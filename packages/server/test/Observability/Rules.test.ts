/**
 * The Prometheus rules of `dashboards/rules/` (docs/slo.md, docs/runbook.md).
 *
 * - `promtool check rules` on every rule file, and `promtool test rules` on
 *   every `tests/*.yml`: the recording rules give the expected values on
 *   crafted series, and each alert fires on a crafted series and stays silent
 *   on a healthy one. promtool comes with the Debian package `prometheus`
 *   (.ci/run installs it); without it these tests fail, they are never skipped.
 * - Statically: the alerts are the eleven of the SLOs and symptoms, each with a
 *   severity (page or ticket) and a `runbook_url` to a section of
 *   docs/runbook.md; the burn-rate alerts use the multi-window, multi-burn-rate
 *   pairs; every alert has a firing and a healthy case in tests/; every series
 *   the rules read is exported by the service with the labels they select on;
 *   docs/slo.md states each SLI as its recording rule's query.
 */
import { assert, describe, it } from "@effect/vitest"
import { RunStatus } from "@marketgate/domain/Jobs"
import { spawnSync } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import * as Prom from "prom-client"
import { parse } from "yaml"

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url))
const SRC = fileURLToPath(new URL("../../src/", import.meta.url))
const RULES = join(ROOT, "dashboards", "rules")
const TESTS = join(RULES, "tests")
const RUNBOOK = join(ROOT, "docs", "runbook.md")
const SLO_DOC = join(ROOT, "docs", "slo.md")

// ============================================================== the rule files

interface Rule {
  readonly record?: string
  readonly alert?: string
  readonly expr: string
  readonly for?: string
  readonly labels?: Record<string, string>
  readonly annotations?: Record<string, string>
}
interface RuleGroup {
  readonly name: string
  readonly rules: ReadonlyArray<Rule>
}
interface RuleFile {
  readonly file: string
  readonly groups: ReadonlyArray<RuleGroup>
}

interface AlertTestCase {
  readonly eval_time: string
  readonly alertname: string
  readonly exp_alerts?: ReadonlyArray<unknown> | null
}
interface TestGroup {
  readonly name?: string
  readonly alert_rule_test?: ReadonlyArray<AlertTestCase>
}
interface TestFile {
  readonly file: string
  readonly rule_files: ReadonlyArray<string>
  readonly group_eval_order?: ReadonlyArray<string>
  readonly tests: ReadonlyArray<TestGroup>
}

const ruleFileNames = readdirSync(RULES).filter((f) => /\.ya?ml$/.test(f)).sort()
const testFileNames = readdirSync(TESTS).filter((f) => /\.ya?ml$/.test(f)).sort()

const ruleFiles: ReadonlyArray<RuleFile> = ruleFileNames.map((file) => ({
  file,
  ...(parse(readFileSync(join(RULES, file), "utf8")) as { groups: ReadonlyArray<RuleGroup> })
}))
const testFiles: ReadonlyArray<TestFile> = testFileNames.map((file) => ({
  file,
  ...(parse(readFileSync(join(TESTS, file), "utf8")) as Omit<TestFile, "file">)
}))

const rules = ruleFiles.flatMap((f) => f.groups.flatMap((g) => g.rules.map((rule) => ({ ...rule, file: f.file, group: g.name }))))
const alerts = rules.filter((r) => r.alert !== undefined)
const recordings = rules.filter((r) => r.record !== undefined)
const alertNamed = (name: string) => {
  const alert = alerts.find((a) => a.alert === name)
  if (alert === undefined) throw new Error(`no alert ${name} in dashboards/rules`)
  return alert
}

/** The eleven alerts of docs/slo.md and docs/runbook.md. */
const ALERTS = [
  "SLOAvailabilityFastBurn",
  "SLOAvailabilitySlowBurn",
  "SLOLatencyFastBurn",
  "SLOLatencySlowBurn",
  "HighErrorRate",
  "SlowDatabaseQueries",
  "LowCacheHitRate",
  "HighMemoryUsage",
  "DataSourceBreakerOpen",
  "BackfillFailing",
  "LoginFailureSpike"
] as const

// ============================================================== promtool

const INSTALL_PROMTOOL =
  "promtool is not on PATH. The alert-rule tests need it: install the Debian package prometheus (apt-get install prometheus), " +
  "which provides /usr/bin/promtool (.ci/run installs it on a fresh machine)."

/** Runs promtool in `cwd`; fails with promtool's own output unless it exits 0 and says SUCCESS. */
const promtool = (args: ReadonlyArray<string>, cwd: string): string => {
  const run = spawnSync("promtool", args, { cwd, encoding: "utf8", timeout: 50_000, maxBuffer: 32 * 1024 * 1024 })
  const command = `promtool ${args.join(" ")} (in ${relative(ROOT, cwd)})`
  if (run.error !== undefined) {
    if ((run.error as NodeJS.ErrnoException).code === "ENOENT") assert.fail(INSTALL_PROMTOOL)
    assert.fail(`${command} could not run: ${run.error.message}`)
  }
  const output = `${run.stdout}${run.stderr}`
  if (run.status !== 0 || !output.includes("SUCCESS")) {
    assert.fail(`${command} exited with ${run.status ?? run.signal}:\n${output}`)
  }
  return output
}

describe("promtool", () => {
  it("check rules: every rule file is valid, and promtool finds every rule", () => {
    assert.includeMembers(ruleFileNames, ["recording.yml", "alerts.yml"])
    const output = promtool(["check", "rules", ...ruleFileNames], RULES)
    for (const f of ruleFiles) {
      const count = f.groups.reduce((n, g) => n + g.rules.length, 0)
      assert.include(output, `Checking ${f.file}\n  SUCCESS: ${count} rules found`, output)
    }
  })

  it("there are rule unit tests", () => {
    assert.isAbove(testFileNames.length, 0, `no *.yml in ${relative(ROOT, TESTS)}`)
  })

  for (const file of testFileNames) {
    it(`test rules: tests/${file}`, () => {
      const output = promtool(["test", "rules", file], TESTS)
      assert.include(output, `Unit Testing:  ${file}\n  SUCCESS`, output)
    })
  }
})

// ============================================================== the alerts

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string) =>
  heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-")

const runbookAnchors = (): Set<string> =>
  new Set([...readFileSync(RUNBOOK, "utf8").matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((m) => anchorOf(m[1]!)))

describe("alerts", () => {
  it("are the eleven alerts of the SLOs and symptoms, each defined once", () => {
    assert.deepStrictEqual([...alerts.map((a) => a.alert!)].sort(), [...ALERTS].sort())
  })

  it("each has a severity of page or ticket, a summary, a description and a runbook_url to a section of docs/runbook.md", () => {
    const anchors = runbookAnchors()
    for (const alert of alerts) {
      const name = alert.alert!
      assert.oneOf(alert.labels?.severity, ["page", "ticket"], `${name}: labels.severity`)
      assert.isNotEmpty(alert.annotations?.summary ?? "", `${name}: annotations.summary`)
      assert.isNotEmpty(alert.annotations?.description ?? "", `${name}: annotations.description`)
      const url = alert.annotations?.runbook_url ?? ""
      const anchor = /\/docs\/runbook\.md#([^#\s]+)$/.exec(url)?.[1]
      assert.isDefined(anchor, `${name}: runbook_url ${JSON.stringify(url)} does not point at a section of docs/runbook.md`)
      assert.isTrue(anchors.has(anchor!), `${name}: docs/runbook.md has no heading with the anchor #${anchor}`)
    }
  })

  it("burn-rate alerts: 1h/5m at 14.4x and 6h/30m at 6x page, 1d/2h at 3x and 3d/6h at 1x open a ticket", () => {
    const pairs = (name: string, sli: string, budget: string) => {
      const expr = alertNamed(name).expr
      const found = [...expr.matchAll(/slo:(\w+):ratio_rate(\w+)\s*>\s*\(\s*([\d.]+)\s*\*\s*([\d.]+)\s*\)/g)]
      for (const m of found) {
        assert.strictEqual(m[1], sli, `${name} reads ${m[0]}`)
        assert.strictEqual(m[4], budget, `${name}: error budget of ${m[0]}`)
      }
      // Each window pair is an `and`; the two pairs are joined by `or`.
      assert.match(expr.replace(/\s+/g, " ").trim(), /^\( \S+ > \([^)]*\) and \S+ > \([^)]*\) \) or \( \S+ > \([^)]*\) and \S+ > \([^)]*\) \)$/, name)
      return found.map((m) => `${m[2]}@${m[3]}`)
    }
    const fast = ["1h@14.4", "5m@14.4", "6h@6", "30m@6"]
    const slow = ["1d@3", "2h@3", "3d@1", "6h@1"]
    assert.deepStrictEqual(pairs("SLOAvailabilityFastBurn", "availability_errors", "0.001"), fast)
    assert.deepStrictEqual(pairs("SLOAvailabilitySlowBurn", "availability_errors", "0.001"), slow)
    assert.deepStrictEqual(pairs("SLOLatencyFastBurn", "latency_slow", "0.05"), fast)
    assert.deepStrictEqual(pairs("SLOLatencySlowBurn", "latency_slow", "0.05"), slow)
    for (const name of ["SLOAvailabilityFastBurn", "SLOLatencyFastBurn"]) assert.strictEqual(alertNamed(name).labels?.severity, "page", name)
    for (const name of ["SLOAvailabilitySlowBurn", "SLOLatencySlowBurn"]) assert.strictEqual(alertNamed(name).labels?.severity, "ticket", name)
  })

  it("symptom alerts use the thresholds of the objectives", () => {
    const flat = (name: string) => alertNamed(name).expr.replace(/\s+/g, " ").trim()
    assert.strictEqual(flat("HighErrorRate"), "slo:availability_errors:ratio_rate5m > 0.05")
    assert.strictEqual(alertNamed("HighErrorRate").for, "5m")
    assert.include(flat("SlowDatabaseQueries"), "db_query_duration_seconds_bucket{le=\"1\"}")
    assert.match(flat("SlowDatabaseQueries"), /\) > 0\.05$/)
    assert.strictEqual(flat("LowCacheHitRate"), "marketgate:cache_hit:ratio_rate5m < 0.7")
    assert.strictEqual(flat("HighMemoryUsage"), "process_resident_memory_bytes / (marketgate_memory_limit_bytes > 0) > 0.8")
    assert.include(flat("DataSourceBreakerOpen"), "datasource_breaker_state")
    assert.include(flat("BackfillFailing"), "job_runs_total{job=\"backfill\", outcome=\"failed\"}")
  })

  it("each fires on a crafted series and stays silent on a healthy one in tests/*.yml", () => {
    const cases = testFiles.flatMap((f) =>
      f.tests.flatMap((group, i) =>
        (group.alert_rule_test ?? []).map((c) => ({
          where: `${f.file}, test ${JSON.stringify(group.name ?? i)}`,
          alert: c.alertname,
          fires: (c.exp_alerts ?? []).length > 0
        }))
      )
    )
    // An expectation for a misspelt alert would pass as "silent" forever.
    assert.deepStrictEqual(
      cases.filter((c) => !(ALERTS as ReadonlyArray<string>).includes(c.alert)).map((c) => `${c.where}: ${c.alert}`),
      [],
      "alert_rule_test entries naming no alert of alerts.yml"
    )
    const problems: Array<string> = []
    for (const alert of ALERTS) {
      const own = cases.filter((c) => c.alert === alert)
      if (!own.some((c) => c.fires)) problems.push(`${alert}: no test where it fires (an alert_rule_test with non-empty exp_alerts)`)
      // Healthy: a test group whose every expectation of this alert is `exp_alerts: []`
      // (not only "still pending" before a group where it fires).
      const healthy = [...new Set(own.map((c) => c.where))].filter((where) => own.filter((c) => c.where === where).every((c) => !c.fires))
      if (healthy.length === 0) problems.push(`${alert}: no test on a healthy series (a test whose expectations of it are all exp_alerts: [])`)
    }
    assert.deepStrictEqual(problems, [], problems.join("\n"))
  })

  it("test files that load both rule files evaluate the recording rules before the alerts", () => {
    const groupsOf = (file: string) => ruleFiles.find((f) => f.file === file)?.groups.map((g) => g.name) ?? []
    for (const f of testFiles) {
      const loaded = f.rule_files.map((p) => p.replace(/^\.\.\//, ""))
      if (!(loaded.includes("recording.yml") && loaded.includes("alerts.yml"))) continue
      const order = f.group_eval_order ?? []
      assert.sameMembers([...order], loaded.flatMap(groupsOf), `${f.file}: group_eval_order must list every group`)
      const lastRecording = Math.max(...groupsOf("recording.yml").map((g) => order.indexOf(g)))
      const firstAlert = Math.min(...groupsOf("alerts.yml").map((g) => order.indexOf(g)))
      assert.isBelow(lastRecording, firstAlert, `${f.file}: recording groups first in group_eval_order`)
    }
  })
})

// ============================================================== the metrics the rules read

interface Series {
  /** Labels a stored series carries; undefined when unknown. */
  readonly labels: ReadonlySet<string> | undefined
}

const sourceFiles = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []
  )

/** The `{ … }` starting at `open`, strings and nesting respected. */
const balancedObject = (text: string, open: number): string => {
  let depth = 0
  let quote: string | undefined
  for (let i = open; i < text.length; i++) {
    const ch = text[i]!
    if (quote !== undefined) {
      if (ch === "\\") i++
      else if (ch === quote) quote = undefined
    } else if (ch === "\"" || ch === "'" || ch === "`") quote = ch
    else if (ch === "{") depth++
    else if (ch === "}" && --depth === 0) return text.slice(open, i + 1)
  }
  throw new Error(`unbalanced object at ${open}`)
}

const stringList = (inner: string) => [...inner.matchAll(/["'`]([^"'`]+)["'`]/g)].map((m) => m[1]!)

/** `new Prom.Counter|Gauge|Histogram|Summary({ name, labelNames })` of the service's source: series name → labels. */
const catalogue = async (): Promise<Map<string, Series>> => {
  const catalog = new Map<string, Series>()
  const add = (name: string, type: string, own: ReadonlyArray<string>) => {
    const labels = (extra: ReadonlyArray<string>) => ({ labels: new Set([...own, "job", "instance", ...extra]) })
    if (type === "histogram") {
      catalog.set(`${name}_bucket`, labels(["le"]))
      catalog.set(`${name}_sum`, labels([]))
      catalog.set(`${name}_count`, labels([]))
    } else if (type === "summary") {
      catalog.set(name, labels(["quantile"]))
      catalog.set(`${name}_sum`, labels([]))
      catalog.set(`${name}_count`, labels([]))
    } else catalog.set(name, labels([]))
  }
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, "utf8")
    for (const match of text.matchAll(/(?:new\s+Prom\.(Counter|Gauge|Histogram|Summary)|talliedCounter)\s*(?:<[^>]*>)?\s*\(\s*\{/g)) {
      const object = balancedObject(text, match.index + match[0].length - 1)
      const name = /\bname:\s*["'`]([a-zA-Z_:][a-zA-Z0-9_:]*)["'`]/.exec(object)?.[1]
      if (name === undefined) continue
      const inline = /\blabelNames:\s*\[([^\]]*)\]/.exec(object)
      const reference = /\blabelNames:\s*([A-Za-z_$][\w$]*)/.exec(object)?.[1] ?? (/\blabelNames\s*[,}\n]/.test(object) ? "labelNames" : undefined)
      const resolved = reference === undefined
        ? []
        : stringList([...text.slice(0, match.index).matchAll(new RegExp(`const\\s+${reference}\\s*=\\s*\\[([^\\]]*)\\]`, "g"))].at(-1)?.[1] ?? "")
      add(name, (match[1] ?? "Counter").toLowerCase(), inline !== null ? stringList(inline[1]!) : resolved)
    }
  }
  // prom-client's process metrics, as collectDefaultMetrics registers them on this platform.
  const registry = new Prom.Registry()
  Prom.collectDefaultMetrics({ register: registry })
  const json = await registry.getMetricsAsJSON()
  for (const m of registry.getMetricsAsArray()) {
    const metric = m as unknown as { readonly name: string; readonly labelNames: ReadonlyArray<string> }
    add(metric.name, String(json.find((j) => j.name === metric.name)?.type), metric.labelNames)
  }
  // Recording rules carry the labels they aggregate by.
  for (const rule of recordings) catalog.set(rule.record!, { labels: new Set(scan(rule.expr).grouping) })
  return catalog
}

interface Selector {
  readonly metric: string
  readonly matchers: ReadonlyArray<{ readonly label: string; readonly value: string }>
}

const NOT_SERIES = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "bool", "inf", "nan"])

/** The series selectors of a PromQL expression and the labels of its by/on clauses: a light scan, enough for these rules. */
const scan = (expr: string): { readonly selectors: ReadonlyArray<Selector>; readonly grouping: ReadonlyArray<string> } => {
  const grouping: Array<string> = []
  const rest = expr
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, list: string) => {
      grouping.push(...list.split(",").map((s) => s.trim()).filter((s) => s.length > 0))
      return " "
    })
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\boffset\s+\w+/g, " ")
  const selectors: Array<Selector> = []
  const token = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{(?:[^}"]|"(?:[^"\\]|\\.)*")*\})?|\d+(?:\.\d+)?(?:e[+-]?\d+)?|"(?:[^"\\]|\\.)*"/g
  for (const m of rest.matchAll(token)) {
    const name = m[1]
    if (name === undefined || NOT_SERIES.has(name)) continue
    if (m[2] === undefined && rest.slice(m.index + m[0].length).trimStart().startsWith("(")) continue // a function
    const matchers = [...(m[2] ?? "").matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)].map((x) => ({ label: x[1]!, value: x[2]! }))
    selectors.push({ metric: name, matchers })
  }
  return { selectors, grouping }
}

describe("metrics the rules read", () => {
  it("the scan finds selectors, matchers and grouping labels", () => {
    const { grouping, selectors } = scan(
      "sum by (job) (rate(a_total{x=\"1\", y=~\"5..\"}[5m]) offset 1h) / on (job) group_left histogram_quantile(0.95, b_bucket) > 1e6 or c"
    )
    assert.deepStrictEqual(grouping, ["job", "job"])
    assert.deepStrictEqual(selectors.map((s) => s.metric), ["a_total", "b_bucket", "c"])
    assert.deepStrictEqual(selectors[0]!.matchers, [{ label: "x", value: "1" }, { label: "y", value: "5.." }])
  })

  it("every series is exported by marketgate (or recorded), with the labels the rules select and group on", async () => {
    const catalog = await catalogue()
    const problems: Array<string> = []
    for (const rule of rules) {
      const name = rule.alert ?? rule.record!
      const { grouping, selectors } = scan(rule.expr)
      const carried = new Set<string>()
      for (const { matchers, metric } of selectors) {
        const series = catalog.get(metric)
        if (series === undefined) {
          problems.push(`${name}: ${metric} is not exported by marketgate, nor a prom-client default metric or a recording rule`)
          continue
        }
        for (const l of series.labels ?? []) carried.add(l)
        for (const { label } of matchers) {
          if (series.labels !== undefined && !series.labels.has(label)) problems.push(`${name}: ${metric} has no label ${label}`)
        }
      }
      for (const label of grouping) {
        if (!carried.has(label)) problems.push(`${name}: groups on ${label}, which none of its series carries`)
      }
    }
    assert.deepStrictEqual(problems, [], problems.join("\n"))
  })

  it("label values the alerts depend on are ones the service writes", () => {
    const outcomes = new Set<string>([...RunStatus.literals, "skipped"])
    const values = (metric: string, label: string) =>
      rules.flatMap((r) => scan(r.expr).selectors.filter((s) => s.metric === metric).flatMap((s) => s.matchers.filter((m) => m.label === label).map((m) => m.value)))
    for (const v of values("job_runs_total", "outcome")) assert.isTrue(outcomes.has(v), `job_runs_total{outcome="${v}"}`)
    for (const metric of ["cache_hits_total", "cache_misses_total"]) {
      for (const v of values(metric, "level")) assert.oneOf(v, ["l1", "l2"], `${metric}{level="${v}"}`)
    }
    // Every `le` the rules select is a bucket boundary of the histogram, so the ratios are exact;
    // so are the objectives' thresholds (300 ms; 100 ms for the DB P95, docs/slo.md).
    const buckets = (file: string, pattern: RegExp) => {
      const list = pattern.exec(readFileSync(join(SRC, file), "utf8"))?.[1]
      assert.isDefined(list, `buckets in ${file}`)
      return list!.split(",").map((x) => Number(x.trim()))
    }
    const http = buckets("Http/HttpMetrics.ts", /buckets:\s*\[([^\]]*)\]/)
    const db = buckets("Store/StoreMetrics.ts", /QUERY_BUCKETS\s*=\s*\[([^\]]*)\]/)
    const httpLe = values("http_request_duration_seconds_bucket", "le")
    const dbLe = values("db_query_duration_seconds_bucket", "le")
    assert.isNotEmpty(httpLe)
    assert.isNotEmpty(dbLe)
    for (const v of httpLe) assert.include(http, Number(v), `http_request_duration_seconds_bucket{le="${v}"}`)
    for (const v of dbLe) assert.include(db, Number(v), `db_query_duration_seconds_bucket{le="${v}"}`)
    assert.include(http, 0.3)
    assert.include(db, 0.1)
  })
})

// ============================================================== docs/slo.md

describe("docs/slo.md", () => {
  const flat = (text: string) => text.replace(/\s+/g, " ").trim()

  it("states each SLI as the exact query of its recording rule", () => {
    const doc = flat(readFileSync(SLO_DOC, "utf8"))
    for (const record of [
      "slo:availability_errors:ratio_rate5m",
      "slo:latency_slow:ratio_rate5m",
      "marketgate:cache_hit:ratio_rate5m",
      "marketgate:db_query_duration_seconds:p95_5m"
    ]) {
      const rule = recordings.find((r) => r.record === record)
      assert.isDefined(rule, `recording.yml records ${record}`)
      assert.include(doc, `record: ${record}`, `docs/slo.md names ${record}`)
      assert.include(doc, flat(rule!.expr), `docs/slo.md states the query of ${record} as recording.yml has it`)
    }
  })

  it("names every alert that guards an objective", () => {
    const doc = readFileSync(SLO_DOC, "utf8")
    for (const alert of ALERTS) assert.include(doc, alert)
  })
})
