/**
 * Lint of the Grafana dashboards in `dashboards/*.json` (docs/dashboards.md).
 *
 * The metric catalogue the queries are checked against is read from the
 * service's own source (`new Prom.Counter({ name: … })` …), plus prom-client's
 * default process metrics, Prometheus' `up`, and the recording rules of
 * `dashboards/rules/*.yml`. A dashboard that queries a metric the service does
 * not export, a label it does not carry, a counter without `rate`, or a
 * hard-coded data source fails here instead of showing "No data" in Grafana.
 */
import { assert, describe, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as Prom from "prom-client"

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url))
const SRC = fileURLToPath(new URL("../../src/", import.meta.url))
const DASHBOARDS = join(ROOT, "dashboards")
const RULES = join(DASHBOARDS, "rules")

// ============================================================== metric catalogue

type MetricType = "counter" | "gauge" | "histogram" | "summary"
type Origin = "service" | "default" | "prometheus" | "recording"

interface MetricDef {
  readonly name: string
  readonly type: MetricType
  /** The metric's own labels; undefined when not known (recording rules). */
  readonly labels: ReadonlyArray<string> | undefined
}

interface Series {
  readonly metric: string
  readonly origin: Origin
  readonly type: MetricType | "recording"
  /** Only meaningful under rate/increase/irate: counters and histogram/summary _bucket, _sum, _count. */
  readonly counterLike: boolean
  readonly ownLabels: ReadonlySet<string> | undefined
  /** Labels the stored series carry: own labels, target labels, le/quantile. Undefined when unknown. */
  readonly labels: ReadonlySet<string> | undefined
}

type Catalog = ReadonlyMap<string, Series>

/** prom-client 15's `collectDefaultMetrics` (checked against the library below). */
const DEFAULT_METRICS: ReadonlyArray<MetricDef> = [
  ...["process_cpu_user_seconds_total", "process_cpu_system_seconds_total", "process_cpu_seconds_total"].map((name) => ({ name, type: "counter" as const, labels: [] })),
  ...[
    "process_start_time_seconds",
    "process_resident_memory_bytes",
    "process_virtual_memory_bytes",
    "process_heap_bytes",
    "process_open_fds",
    "process_max_fds",
    "nodejs_eventloop_lag_seconds",
    "nodejs_eventloop_lag_min_seconds",
    "nodejs_eventloop_lag_max_seconds",
    "nodejs_eventloop_lag_mean_seconds",
    "nodejs_eventloop_lag_stddev_seconds",
    "nodejs_eventloop_lag_p50_seconds",
    "nodejs_eventloop_lag_p90_seconds",
    "nodejs_eventloop_lag_p99_seconds",
    // Gauges despite the suffix: the lint must not ask for rate() on them.
    "nodejs_active_resources_total",
    "nodejs_active_handles_total",
    "nodejs_active_requests_total",
    "nodejs_heap_size_total_bytes",
    "nodejs_heap_size_used_bytes",
    "nodejs_external_memory_bytes"
  ].map((name) => ({ name, type: "gauge" as const, labels: [] })),
  ...["nodejs_active_resources", "nodejs_active_handles", "nodejs_active_requests"].map((name) => ({ name, type: "gauge" as const, labels: ["type"] })),
  ...["total", "used", "available"].map((kind) => ({ name: `nodejs_heap_space_size_${kind}_bytes`, type: "gauge" as const, labels: ["space"] })),
  { name: "nodejs_version_info", type: "gauge", labels: ["version", "major", "minor", "patch"] },
  { name: "nodejs_gc_duration_seconds", type: "histogram", labels: ["kind"] }
]

/** Series Prometheus itself adds to every target. */
const PROMETHEUS_METRICS: ReadonlyArray<MetricDef> = [{ name: "up", type: "gauge", labels: [] }]

/** The recording rules the dashboards read; each must be recorded in dashboards/rules/*.yml. */
const RECORDING_RULES: ReadonlyArray<string> = [
  ...["5m", "30m", "1h", "2h", "6h", "1d", "3d"].flatMap((w) => [`slo:availability_errors:ratio_rate${w}`, `slo:latency_slow:ratio_rate${w}`]),
  "marketgate:http_requests:rate5m",
  "marketgate:cache_hit:ratio_rate5m",
  "marketgate:db_query_duration_seconds:p95_5m"
]

const TARGET_LABELS = ["job", "instance"] as const

const sourceFiles = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []
  )

/** The `{ … }` starting at `open` (an index of "{"), strings and nesting respected. */
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

/**
 * Every `new Prom.Counter|Gauge|Histogram|Summary({ name: "…", labelNames })`
 * (or `talliedCounter({ … })`, a Counter)
 * in a TypeScript source text. `labelNames` may be inline or a `const` array
 * of the same file; anything else leaves the labels unknown.
 */
const metricsInSource = (text: string): Array<MetricDef> =>
  [...text.matchAll(/(?:new\s+Prom\.(Counter|Gauge|Histogram|Summary)|talliedCounter)\s*(?:<[^>]*>)?\s*\(\s*\{/g)].flatMap((match): Array<MetricDef> => {
    const object = balancedObject(text, match.index + match[0].length - 1)
    const name = /\bname:\s*["'`]([a-zA-Z_:][a-zA-Z0-9_:]*)["'`]/.exec(object)?.[1]
    // TalliedCounter.ts builds its Counter from the caller's configuration: its callers carry the names.
    if (name === undefined && /^\{\s*\.\.\.configuration\b/.test(object)) return []
    if (name === undefined) throw new Error(`a Prom metric without a literal name: ${object.slice(0, 80)}`)
    const type = (match[1] ?? "Counter").toLowerCase() as MetricType
    const inline = /\blabelNames:\s*\[([^\]]*)\]/.exec(object)
    const reference = /\blabelNames:\s*([A-Za-z_$][\w$]*)/.exec(object)?.[1] ?? (/\blabelNames\s*[,}\n]/.test(object) ? "labelNames" : undefined)
    const resolve = (id: string) => {
      const defs = [...text.slice(0, match.index).matchAll(new RegExp(`const\\s+${id}\\s*=\\s*\\[([^\\]]*)\\]`, "g"))]
      const last = defs.at(-1)
      return last === undefined ? undefined : stringList(last[1]!)
    }
    const labels = inline !== null ? stringList(inline[1]!) : reference !== undefined ? resolve(reference) : []
    return [{ name, type, labels }]
  })

/**
 * The service's metrics, once each. A metric may be constructed in more than one
 * place (StoreMetrics' unregistered default and its registered twin); the
 * definitions must then agree, or the dashboards could not rely on either.
 */
const serviceMetrics = (): Array<MetricDef> => {
  const byName = new Map<string, MetricDef>()
  for (const file of sourceFiles(SRC)) {
    for (const def of metricsInSource(readFileSync(file, "utf8"))) {
      const seen = byName.get(def.name)
      if (seen !== undefined && JSON.stringify(seen) !== JSON.stringify(def)) {
        throw new Error(`${def.name} is defined twice, differently: ${JSON.stringify(seen)} and ${JSON.stringify(def)} (${file})`)
      }
      byName.set(def.name, def)
    }
  }
  return [...byName.values()]
}

const recordedInRules = (): Set<string> =>
  new Set(
    readdirSync(RULES)
      .filter((f) => /\.ya?ml$/.test(f))
      .flatMap((f) => [...readFileSync(join(RULES, f), "utf8").matchAll(/^\s*-?\s*record:\s*["']?([a-zA-Z_:][a-zA-Z0-9_:]*)/gm)].map((m) => m[1]!))
  )

const buildCatalog = (service: ReadonlyArray<MetricDef>): Catalog => {
  const catalog = new Map<string, Series>()
  const add = (def: MetricDef, origin: Origin) => {
    const own = def.labels === undefined ? undefined : new Set(def.labels)
    const stored = (extra: ReadonlyArray<string>) => {
      if (own === undefined) return undefined
      // The scrape keeps a metric's own `job` label (honor_labels: true, docs/monitoring.md).
      return new Set([...own, ...TARGET_LABELS, ...extra])
    }
    const put = (name: string, counterLike: boolean, extra: ReadonlyArray<string> = []) => {
      if (catalog.has(name)) throw new Error(`metric series ${name} defined twice`)
      catalog.set(name, { metric: def.name, origin, type: def.type, counterLike, ownLabels: own, labels: stored(extra) })
    }
    switch (def.type) {
      case "counter":
        return put(def.name, true)
      case "gauge":
        return put(def.name, false)
      case "histogram":
        put(`${def.name}_bucket`, true, ["le"])
        put(`${def.name}_sum`, true)
        return put(`${def.name}_count`, true)
      case "summary":
        put(def.name, false, ["quantile"])
        put(`${def.name}_sum`, true)
        return put(`${def.name}_count`, true)
    }
  }
  for (const def of service) add(def, "service")
  for (const def of DEFAULT_METRICS) add(def, "default")
  for (const def of PROMETHEUS_METRICS) add(def, "prometheus")
  for (const name of RECORDING_RULES) {
    catalog.set(name, { metric: name, origin: "recording", type: "recording", counterLike: false, ownLabels: undefined, labels: undefined })
  }
  return catalog
}

// ============================================================== PromQL

interface Matcher {
  readonly label: string
  readonly op: string
  readonly value: string
}

type Node =
  | { readonly kind: "selector"; readonly name: string | undefined; readonly matchers: ReadonlyArray<Matcher>; readonly range: string | undefined }
  | { readonly kind: "subquery"; readonly expr: Node; readonly range: string }
  | { readonly kind: "call"; readonly fn: string; readonly args: ReadonlyArray<Node> }
  | {
    readonly kind: "aggregate"
    readonly op: string
    readonly grouping: { readonly without: boolean; readonly labels: ReadonlyArray<string> } | undefined
    readonly args: ReadonlyArray<Node>
  }
  | { readonly kind: "binary"; readonly op: string; readonly lhs: Node; readonly rhs: Node; readonly grouped: boolean }
  | { readonly kind: "paren" | "unary"; readonly expr: Node }
  | { readonly kind: "number" | "string" }

interface Token {
  readonly t: "ident" | "number" | "string" | "range" | "op" | "punct" | "eof"
  readonly v: string
}

const AGGREGATIONS = new Set(["sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio"])
const PRECEDENCE: Readonly<Record<string, number>> = {
  or: 1,
  and: 2,
  unless: 2,
  "==": 3,
  "!=": 3,
  "<=": 3,
  "<": 3,
  ">=": 3,
  ">": 3,
  "+": 4,
  "-": 4,
  "*": 5,
  "/": 5,
  "%": 5,
  atan2: 5,
  "^": 6
}
const RATE_FUNCTIONS = new Set(["rate", "increase", "irate"])
const RATE_INTERVAL = new Set(["$__rate_interval", "${__rate_interval}"])

const tokenize = (src: string): Array<Token> => {
  const out: Array<Token> = []
  let i = 0
  while (i < src.length) {
    const rest = src.slice(i)
    const ch = src[i]!
    if (/\s/.test(ch)) {
      i++
    } else if (ch === "#") {
      while (i < src.length && src[i] !== "\n") i++
    } else if (ch === "[") {
      const end = src.indexOf("]", i)
      if (end < 0) throw new Error("unclosed [")
      out.push({ t: "range", v: src.slice(i + 1, end).trim() })
      i = end + 1
    } else if (ch === "\"" || ch === "'" || ch === "`") {
      let j = i + 1
      while (j < src.length && src[j] !== ch) j += src[j] === "\\" && ch !== "`" ? 2 : 1
      if (j >= src.length) throw new Error("unclosed string")
      out.push({ t: "string", v: src.slice(i + 1, j) })
      i = j + 1
    } else if (ch === "$") {
      // A Grafana variable where a number or duration goes.
      const m = /^\$(\{[^}]*\}|\w+)/.exec(rest)
      if (m === null) throw new Error(`bad variable at ${i}`)
      out.push({ t: "number", v: m[0] })
      i += m[0].length
    } else if (/[0-9.]/.test(ch)) {
      const m = /^(0x[0-9a-f]+|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]+)?)(?:(?:ms|[smhdwy])(?:[0-9]+(?:ms|[smhdwy]))*)?/i.exec(rest)
      if (m === null) throw new Error(`bad number at ${i}`)
      out.push({ t: "number", v: m[0] })
      i += m[0].length
    } else if (/[a-zA-Z_:]/.test(ch)) {
      const v = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(rest)![0]
      out.push({ t: v === "Inf" || v === "NaN" ? "number" : "ident", v })
      i += v.length
    } else {
      const op = ["==", "!=", "=~", "!~", ">=", "<="].find((o) => rest.startsWith(o)) ?? ("+-*/%^<>=@".includes(ch) ? ch : undefined)
      if (op !== undefined) {
        out.push({ t: "op", v: op })
        i += op.length
      } else if ("(){},".includes(ch)) {
        out.push({ t: "punct", v: ch })
        i++
      } else throw new Error(`unexpected ${JSON.stringify(ch)} at ${i}`)
    }
  }
  out.push({ t: "eof", v: "" })
  return out
}

/** A parser for the PromQL the dashboards use (all of PromQL's expression syntax, Grafana variables as literals). */
const parsePromQL = (src: string): Node => {
  const tokens = tokenize(src)
  let pos = 0
  const peek = (k = 0) => tokens[Math.min(pos + k, tokens.length - 1)]!
  const next = () => tokens[pos++]!
  const is = (t: Token["t"], v?: string, k = 0) => peek(k).t === t && (v === undefined || peek(k).v === v)
  const expect = (t: Token["t"], v?: string) => {
    if (!is(t, v)) throw new Error(`expected ${v ?? t} but found ${JSON.stringify(peek().v || peek().t)}`)
    return next()
  }
  const labelList = (): Array<string> => {
    expect("punct", "(")
    const labels: Array<string> = []
    while (!is("punct", ")")) {
      labels.push(is("string") ? next().v : expect("ident").v)
      if (!is("punct", ")")) expect("punct", ",")
    }
    next()
    return labels
  }
  const matchers = (): Array<Matcher> => {
    expect("punct", "{")
    const list: Array<Matcher> = []
    while (!is("punct", "}")) {
      const label = is("string") ? next().v : expect("ident").v
      const op = expect("op").v
      if (!["=", "!=", "=~", "!~"].includes(op)) throw new Error(`bad matcher operator ${op}`)
      list.push({ label, op, value: expect("string").v })
      if (!is("punct", "}")) expect("punct", ",")
    }
    next()
    return list
  }
  const args = (): Array<Node> => {
    expect("punct", "(")
    const list: Array<Node> = []
    while (!is("punct", ")")) {
      list.push(expr(0))
      if (!is("punct", ")")) expect("punct", ",")
    }
    next()
    return list
  }
  const grouping = () => {
    const without = next().v === "without"
    return { without, labels: labelList() }
  }
  const primary = (): Node => {
    const tok = peek()
    if (tok.t === "number") return next(), { kind: "number" }
    if (tok.t === "string") return next(), { kind: "string" }
    if (is("punct", "(")) {
      next()
      const inner = expr(0)
      expect("punct", ")")
      return { kind: "paren", expr: inner }
    }
    if (is("punct", "{")) return { kind: "selector", name: undefined, matchers: matchers(), range: undefined }
    if (tok.t !== "ident") throw new Error(`unexpected ${JSON.stringify(tok.v || tok.t)}`)
    next()
    if (AGGREGATIONS.has(tok.v) && (is("punct", "(") || is("ident", "by") || is("ident", "without"))) {
      let group = is("ident", "by") || is("ident", "without") ? grouping() : undefined
      const list = args()
      if (group === undefined && (is("ident", "by") || is("ident", "without"))) group = grouping()
      return { kind: "aggregate", op: tok.v, grouping: group, args: list }
    }
    if (is("punct", "(")) return { kind: "call", fn: tok.v, args: args() }
    return { kind: "selector", name: tok.v, matchers: is("punct", "{") ? matchers() : [], range: undefined }
  }
  const postfix = (node: Node): Node => {
    for (;;) {
      if (is("range")) {
        const range = next().v
        node = node.kind === "selector" && node.range === undefined && !range.includes(":")
          ? { ...node, range }
          : { kind: "subquery", expr: node, range }
      } else if (is("ident", "offset")) {
        next()
        if (is("op", "-")) next()
        expect("number")
      } else if (is("op", "@")) {
        next()
        if (is("ident")) {
          next()
          expect("punct", "(")
          expect("punct", ")")
        } else expect("number")
      } else return node
    }
  }
  const unary = (): Node => {
    if (is("op", "-") || is("op", "+")) {
      next()
      return { kind: "unary", expr: unary() }
    }
    return postfix(primary())
  }
  const expr = (min: number): Node => {
    let lhs = unary()
    for (;;) {
      const tok = peek()
      const prec = (tok.t === "op" || tok.t === "ident") ? PRECEDENCE[tok.v] : undefined
      if (prec === undefined || prec < min) return lhs
      next()
      let grouped = false
      if (is("ident", "bool")) next()
      if (is("ident", "on") || is("ident", "ignoring")) {
        next()
        labelList()
      }
      if (is("ident", "group_left") || is("ident", "group_right")) {
        next()
        grouped = true
        if (is("punct", "(")) labelList()
      }
      const rhs = expr(tok.v === "^" ? prec : prec + 1)
      lhs = { kind: "binary", op: tok.v, lhs, rhs, grouped }
    }
  }
  const root = expr(0)
  if (!is("eof")) throw new Error(`unexpected ${JSON.stringify(peek().v)} after the expression`)
  return root
}

const children = (node: Node): ReadonlyArray<Node> => {
  switch (node.kind) {
    case "subquery":
    case "paren":
    case "unary":
      return [node.expr]
    case "call":
    case "aggregate":
      return node.args
    case "binary":
      return [node.lhs, node.rhs]
    default:
      return []
  }
}

const walk = (node: Node, visit: (node: Node, ancestors: ReadonlyArray<Node>) => void, ancestors: ReadonlyArray<Node> = []) => {
  visit(node, ancestors)
  for (const child of children(node)) walk(child, visit, [...ancestors, node])
}

const selectorName = (node: Node & { kind: "selector" }) =>
  node.name ?? node.matchers.find((m) => m.label === "__name__" && m.op === "=")?.value

/** The labels an expression's result carries; "any" when it cannot be told (recording rules, label_replace …). */
const outputLabels = (node: Node, catalog: Catalog): ReadonlySet<string> | "any" => {
  const union = (a: ReadonlySet<string> | "any", b: ReadonlySet<string> | "any") => a === "any" || b === "any" ? "any" : new Set([...a, ...b])
  const scalar = (n: Node) => n.kind === "number" || (n.kind === "call" && ["time", "scalar", "vector"].includes(n.fn))
  switch (node.kind) {
    case "number":
    case "string":
      return new Set()
    case "selector": {
      const name = selectorName(node)
      return (name !== undefined ? catalog.get(name)?.labels : undefined) ?? "any"
    }
    case "subquery":
    case "paren":
    case "unary":
      return outputLabels(node.expr, catalog)
    case "aggregate":
      if (node.grouping === undefined) return new Set()
      return node.grouping.without || node.op === "count_values" ? "any" : new Set(node.grouping.labels)
    case "call": {
      if (["time", "vector", "scalar", "pi"].includes(node.fn)) return new Set()
      if (["label_replace", "label_join", "absent", "absent_over_time"].includes(node.fn)) return "any"
      if (node.fn === "histogram_quantile" && node.args[1] !== undefined) {
        const inner = outputLabels(node.args[1], catalog)
        return inner === "any" ? inner : new Set([...inner].filter((l) => l !== "le"))
      }
      const vector = node.args.find((a) => !scalar(a))
      return vector === undefined ? new Set() : outputLabels(vector, catalog)
    }
    case "binary": {
      if (node.grouped) return "any"
      if (node.op === "or") return union(outputLabels(node.lhs, catalog), outputLabels(node.rhs, catalog))
      return scalar(node.lhs) ? outputLabels(node.rhs, catalog) : outputLabels(node.lhs, catalog)
    }
  }
}

// ============================================================== dashboard lint

interface Finding {
  readonly file: string
  readonly panel: string
  readonly rule: string
  readonly message: string
}

type Json = Record<string, unknown>
const asObject = (u: unknown): Json | undefined => typeof u === "object" && u !== null && !Array.isArray(u) ? u as Json : undefined
const asArray = (u: unknown): ReadonlyArray<unknown> => Array.isArray(u) ? u : []
const asString = (u: unknown): string | undefined => typeof u === "string" ? u : undefined
/** The objects of a JSON array, anything else dropped. */
const objects = (u: unknown): Array<Json> =>
  asArray(u).flatMap((x) => {
    const o = asObject(x)
    return o === undefined ? [] : [o]
  })
const nonEmpty = (u: unknown) => typeof u === "string" && u.trim().length > 0

const TIME_UNITS = new Set(["ns", "µs", "us", "ms", "s", "m", "h", "d", "dtdurations", "dtdurationms", "clocks", "clockms"])
/** Panel types that show no data of their own. */
const LAYOUT_PANELS = new Set(["row", "text"])
/** Panel types without a unit option. */
const UNITLESS_PANELS = new Set(["row", "text", "logs", "traces", "nodeGraph", "news", "dashlist"])
const TEMPO_LINK_TITLE = "Explore traces in Tempo"

/** Every panel, those inside (collapsed) rows included. */
const allPanels = (dashboard: Json): Array<Json> =>
  asArray(dashboard.panels).flatMap((p) => {
    const panel = asObject(p)
    return panel === undefined ? [] : [panel, ...objects(panel.panels)]
  })

const variableRef = (uid: string) => /^\$\{([A-Za-z0-9_]+)\}$|^\$([A-Za-z0-9_]+)$/.exec(uid)

/** The metric selectors of one PromQL query, checked against the catalogue. */
const lintPromQL = (
  expr: string,
  legend: string | undefined,
  catalog: Catalog,
  variables: ReadonlySet<string>,
  report: (rule: string, message: string) => void
) => {
  let root: Node
  try {
    root = parsePromQL(expr)
  } catch (e) {
    return report("promql-parse", `${(e as Error).message} in ${expr}`)
  }
  walk(root, (node, ancestors) => {
    if (node.kind === "call" && RATE_FUNCTIONS.has(node.fn)) {
      let arg = node.args[0]
      while (arg?.kind === "paren") arg = arg.expr
      const range = arg?.kind === "selector" ? arg.range : arg?.kind === "subquery" ? arg.range.split(":")[0]!.trim() : undefined
      if (range === undefined || !RATE_INTERVAL.has(range)) {
        report("rate-interval", `${node.fn}() over [${range ?? "no range"}]: use [$__rate_interval] (or a recording rule)`)
      }
    }
    if (node.kind === "aggregate" && node.grouping !== undefined && !node.grouping.without) {
      const vector = node.args.at(-1)
      const available = vector === undefined ? "any" : outputLabels(vector, catalog)
      for (const label of node.grouping.labels) {
        if (available !== "any" && !available.has(label)) report("unknown-label", `${node.op} by (${label}): no series inside carries "${label}"`)
      }
    }
    if (node.kind !== "selector") return
    const name = selectorName(node)
    if (name === undefined) return report("unknown-metric", `a selector without a metric name: ${expr}`)
    const series = catalog.get(name)
    if (series === undefined) report("unknown-metric", `${name} is not exported by marketgate (nor a default metric or recording rule)`)
    const counterLike = series?.counterLike ?? /_(total|count|sum|bucket)$/.test(name)
    if (counterLike) {
      const parent = [...ancestors].reverse().find((a) => a.kind !== "paren" && a.kind !== "subquery")
      if (parent?.kind !== "call" || !RATE_FUNCTIONS.has(parent.fn)) {
        report("counter-unwrapped", `${name} is a counter: read it through rate(), increase() or irate()`)
      }
    }
    if (series?.labels !== undefined) {
      for (const m of node.matchers) {
        if (m.label !== "__name__" && !series.labels.has(m.label)) report("unknown-label", `${name} has no label "${m.label}"`)
      }
    }
    if (series !== undefined && series.origin !== "recording") {
      const byVariable = (v: string) => node.matchers.some((m) => m.label === v && (m.value.includes(`$${v}`) || m.value.includes(`\${${v}}`)))
      // A metric with a `job` label of its own (job_runs_total: the job kind) keeps it at
      // scrape time (honor_labels: true), so its `job` is not the scrape job.
      const ownJob = series.ownLabels?.has("job") === true
      if (ownJob && byVariable("job")) {
        report("scrape-job-label", `${name}'s job label is the job kind, not the scrape job: do not filter it by $job`)
      }
      for (const v of TARGET_LABELS) {
        if (v === "job" && ownJob) continue
        if (!variables.has(v)) report("variable-filter", `the dashboard has no "${v}" variable to filter ${name} by`)
        else if (!byVariable(v)) report("variable-filter", `${name} is not filtered by ${v}=~"$${v}"`)
      }
    }
  })
  if (legend !== undefined && legend !== "__auto") {
    const available = outputLabels(root, catalog)
    for (const m of legend.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)) {
      if (available !== "any" && !available.has(m[1]!)) report("legend-label", `legend {{${m[1]}}} names a label the query's result does not carry`)
    }
  }
}

/** Every data link of a panel: panel links, field defaults and overrides. */
const linksOf = (panel: Json): Array<Json> => {
  const fieldConfig = asObject(panel.fieldConfig)
  const defaults = asObject(fieldConfig?.defaults)
  const fromOverrides = asArray(fieldConfig?.overrides).flatMap((o) =>
    asArray(asObject(o)?.properties).flatMap((p) => asObject(p)?.id === "links" ? asArray(asObject(p)?.value) : [])
  )
  return objects([...asArray(panel.links), ...asArray(defaults?.links), ...fromOverrides])
}

const unitsOf = (panel: Json): Array<string> => {
  const fieldConfig = asObject(panel.fieldConfig)
  const fromOverrides = asArray(fieldConfig?.overrides).flatMap((o) =>
    asArray(asObject(o)?.properties).flatMap((p) => asObject(p)?.id === "unit" ? [asString(asObject(p)?.value) ?? ""] : [])
  )
  return [asString(asObject(fieldConfig?.defaults)?.unit) ?? "", ...fromOverrides]
}

const lintDashboard = (file: string, dashboard: Json, catalog: Catalog): Array<Finding> => {
  const findings: Array<Finding> = []
  const at = (panel: string) => (rule: string, message: string) => void findings.push({ file, panel, rule, message })
  const top = at("(dashboard)")

  if (!nonEmpty(dashboard.title)) top("title", "the dashboard has no title")
  if (typeof dashboard.uid !== "string" || !/^[A-Za-z0-9_-]{1,40}$/.test(dashboard.uid)) top("uid", "uid must be 1-40 of [A-Za-z0-9_-]")
  if (typeof dashboard.schemaVersion !== "number" || dashboard.schemaVersion < 38) top("schema", "schemaVersion must be ≥ 38 (Grafana 10+)")

  const variables = objects(asObject(dashboard.templating)?.list)
  const variableNames = new Set(variables.flatMap((v) => asString(v.name) ?? []))
  const dataSourceVars = new Map(variables.filter((v) => v.type === "datasource").map((v) => [asString(v.name) ?? "", asString(v.query) ?? ""]))
  if (dataSourceVars.get("datasource") !== "prometheus") top("datasource-variable", "no \"datasource\" variable of type prometheus")

  const checkDataSource = (ds: unknown, report: (rule: string, message: string) => void): string | undefined => {
    const obj = asObject(ds)
    const uid = asString(obj?.uid)
    const ref = uid === undefined ? null : variableRef(uid)
    if (obj === undefined || uid === undefined) return report("datasource-ref", `data source ${JSON.stringify(ds)} is not a {type, uid} reference`), undefined
    if (ref === null) return report("datasource-ref", `hard-coded data source uid "${uid}": reference a data source variable`), undefined
    const name = ref[1] ?? ref[2]!
    const type = dataSourceVars.get(name)
    if (type === undefined) return report("datasource-ref", `data source variable "${name}" is not defined`), undefined
    if (obj.type !== type) report("datasource-ref", `data source type "${String(obj.type)}" but $${name} is a ${type} variable`)
    return type
  }

  for (const v of variables.filter((v) => v.type === "query")) {
    const report = at(`variable ${String(v.name)}`)
    checkDataSource(v.datasource, report)
    const query = asString(asObject(v.query)?.query) ?? asString(v.query) ?? ""
    const lv = /^\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/.exec(query)
    if (lv === null) continue
    // Only names and labels here: a variable lists series, it does not compute rates.
    try {
      walk(parsePromQL(lv[1]!), (node) => {
        if (node.kind !== "selector") return
        const name = selectorName(node)
        const series = name === undefined ? undefined : catalog.get(name)
        if (series === undefined) return report("unknown-metric", `${name ?? "(no name)"} is not exported by marketgate`)
        for (const label of [lv[2]!, ...node.matchers.map((m) => m.label)]) {
          if (series.labels !== undefined && !series.labels.has(label)) report("unknown-label", `${name} has no label "${label}"`)
        }
      })
    } catch (e) {
      report("promql-parse", `${(e as Error).message} in ${query}`)
    }
  }

  const ids = new Set<unknown>()
  for (const panel of allPanels(dashboard)) {
    const type = asString(panel.type) ?? ""
    const report = at(asString(panel.title) ?? `panel ${String(panel.id)}`)
    if (ids.has(panel.id)) report("panel-id", `panel id ${String(panel.id)} is used twice`)
    ids.add(panel.id)
    if (!nonEmpty(panel.title)) report("panel-title", "the panel has no title")
    if (LAYOUT_PANELS.has(type)) continue
    if (!nonEmpty(panel.description)) report("panel-description", "the panel has no description")
    if (!UNITLESS_PANELS.has(type) && !nonEmpty(asObject(asObject(panel.fieldConfig)?.defaults)?.unit)) {
      report("panel-unit", "fieldConfig.defaults.unit is not set")
    }
    const panelType = checkDataSource(panel.datasource, report)
    const targets = objects(panel.targets)
    if (targets.length === 0) report("targets", "the panel has no queries")
    for (const target of targets) {
      const targetReport = at(`${asString(panel.title) ?? ""} [${String(target.refId)}]`)
      const targetType = checkDataSource(target.datasource, targetReport)
      if (panelType !== undefined && targetType !== undefined && panelType !== targetType) {
        targetReport("datasource-ref", `query on a ${targetType} data source in a ${panelType} panel`)
      }
      const expr = asString(target.expr)
      if (!nonEmpty(expr)) targetReport("targets", "the query is empty")
      else if (targetType === "prometheus") lintPromQL(expr!, asString(target.legendFormat), catalog, variableNames, targetReport)
    }

    // Latency panels link to the traces behind the numbers.
    const durationSeries = targets.flatMap((t) => {
      try {
        const names: Array<string> = []
        if (checkDataSource(t.datasource, () => {}) === "prometheus" && typeof t.expr === "string") {
          walk(parsePromQL(t.expr), (n) => {
            const name = n.kind === "selector" ? selectorName(n) : undefined
            const series = name === undefined ? undefined : catalog.get(name)
            if (series?.origin === "service" && series.type === "histogram" && series.metric.endsWith("_duration_seconds")) names.push(name!)
          })
        }
        return names
      } catch {
        return []
      }
    })
    if (durationSeries.length > 0 && unitsOf(panel).some((u) => TIME_UNITS.has(u))) {
      const tempoVars = [...dataSourceVars].filter(([, t]) => t === "tempo").map(([n]) => n)
      const link = linksOf(panel).find((l) => l.title === TEMPO_LINK_TITLE)
      const url = asString(link?.url) ?? ""
      if (link === undefined) report("tempo-link", `latency panel (${durationSeries[0]}) has no "${TEMPO_LINK_TITLE}" data link`)
      else if (!url.includes("/explore") || !tempoVars.some((n) => url.includes(`\${${n}}`) || url.includes(`$${n}`))) {
        report("tempo-link", `"${TEMPO_LINK_TITLE}" must open Explore on a Tempo data source variable`)
      }
    }
  }
  return findings
}

const lintFiles = (files: ReadonlyArray<{ readonly file: string; readonly text: string }>, catalog: Catalog): Array<Finding> => {
  const findings: Array<Finding> = []
  const uids = new Map<unknown, string>()
  const titles = new Map<unknown, string>()
  for (const { file, text } of files) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (e) {
      findings.push({ file, panel: "(file)", rule: "json", message: (e as Error).message })
      continue
    }
    const dashboard = asObject(parsed)
    if (dashboard === undefined) {
      findings.push({ file, panel: "(file)", rule: "json", message: "not a JSON object" })
      continue
    }
    findings.push(...lintDashboard(file, dashboard, catalog))
    for (const [key, seen, rule] of [[dashboard.uid, uids, "uid"], [dashboard.title, titles, "title"]] as const) {
      const other = seen.get(key)
      if (other !== undefined) findings.push({ file, panel: "(dashboard)", rule, message: `${rule} ${String(key)} also used by ${other}` })
      seen.set(key, file)
    }
  }
  return findings
}

const show = (f: Finding) => `${f.file} › ${f.panel}: ${f.rule}: ${f.message}`

// ============================================================== tests

const dashboardFiles = () =>
  readdirSync(DASHBOARDS)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => ({ file, text: readFileSync(join(DASHBOARDS, file), "utf8") }))

const catalog = buildCatalog(serviceMetrics())

describe("metric catalogue", () => {
  it("reads names, types and labels from the service source", () => {
    const http = catalog.get("http_request_duration_seconds_bucket")
    assert.strictEqual(http?.origin, "service")
    assert.isTrue(http?.counterLike)
    assert.sameMembers([...http!.labels!], ["method", "route", "status_code", "le", "job", "instance"])
    assert.sameMembers([...catalog.get("cache_hits_total")!.ownLabels!], ["level", "policy"])
    assert.sameMembers([...catalog.get("datasource_breaker_transitions_total")!.ownLabels!], ["source", "from", "to"])
    assert.isFalse(catalog.get("datasource_breaker_state")!.counterLike)
    assert.sameMembers([...catalog.get("job_runs_total")!.labels!], ["job", "outcome", "instance"])
    assert.strictEqual(catalog.get("cache_l2_up")!.ownLabels!.size, 0)
    assert.isUndefined(catalog.get("http_request_duration_seconds"), "a histogram's base name is not a series")
  })

  it("resolves labelNames given inline, by a const, or by shorthand", () => {
    const text = `
      const labelNames = ["a", "b"] as const
      const other = ["x"]
      new Prom.Counter({ name: "one_total", help: "h", labelNames, registers: [r] })
      new Prom.Gauge({ name: "two", help: "h", labelNames: other })
      new Prom.Histogram({ name: "three_seconds", help: "h", labelNames: ["c"], buckets: [1] })
      new Prom.Gauge({ name: "four", help: "h", collect() { this.set(1) } })`
    assert.deepStrictEqual(metricsInSource(text), [
      { name: "one_total", type: "counter", labels: ["a", "b"] },
      { name: "two", type: "gauge", labels: ["x"] },
      { name: "three_seconds", type: "histogram", labels: ["c"] },
      { name: "four", type: "gauge", labels: [] }
    ])
  })

  it("lists exactly prom-client's default metrics, with their types and labels", async () => {
    const registry = new Prom.Registry()
    Prom.collectDefaultMetrics({ register: registry })
    const json = await registry.getMetricsAsJSON()
    const actual = registry.getMetricsAsArray().map((m) => {
      const metric = m as unknown as { readonly name: string; readonly labelNames: ReadonlyArray<string> }
      return { name: metric.name, type: String(json.find((j) => j.name === metric.name)!.type), labels: [...metric.labelNames] }
    })
    const expected = DEFAULT_METRICS.map((d) => ({ name: d.name, type: d.type, labels: [...(d.labels ?? [])] }))
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name)
    if (process.platform === "linux") assert.deepStrictEqual(actual.sort(byName), expected.sort(byName))
    else for (const m of actual) assert.deepInclude(expected, m)
  })

  it("every recording rule the dashboards read is recorded in dashboards/rules", () => {
    const recorded = recordedInRules()
    assert.deepStrictEqual(RECORDING_RULES.filter((r) => !recorded.has(r)), [])
  })

  it("finds the store metrics, defined in two places", () => {
    assert.sameMembers([...catalog.get("db_query_duration_seconds_bucket")!.ownLabels!], ["operation", "outcome"])
    assert.sameMembers([...catalog.get("db_pool_connections")!.ownLabels!], ["state"])
  })
})

describe("PromQL parser", () => {
  it("parses aggregations, vector matching, subqueries and Grafana variables", () => {
    const node = parsePromQL(
      "histogram_quantile(0.95, sum by (route, le) (rate(x_bucket{a=~\"$job\", b!=\"\"}[$__rate_interval]))) / on (route) group_left max(y) > bool 0 or vector(0)"
    )
    assert.strictEqual(node.kind, "binary")
    assert.deepStrictEqual(outputLabels(parsePromQL("sum(rate(a[1m])) by (x, y)"), catalog), new Set(["x", "y"]))
    assert.strictEqual(parsePromQL("max_over_time(rate(a_total[5m])[1h:1m]) offset 5m").kind, "call")
  })

  it("rejects malformed queries", () => {
    for (const bad of ["sum(rate(a[5m])", "a{b=\"c\"", "sum by (a (b)", "a +", "rate(a[5m]) )"]) {
      assert.throws(() => parsePromQL(bad), Error, undefined, bad)
    }
  })
})

// ---------------------------------------------------------------- deliberately broken panels

const PROM_DS = { type: "prometheus", uid: "${datasource}" }
const TEMPO_LINK = {
  title: TEMPO_LINK_TITLE,
  url: "/explore?schemaVersion=1&panes=%7B%22a%22%3A%7B%22datasource%22%3A%22${tempo}%22%7D%7D"
}

const goodPanel = (): Json => ({
  id: 1,
  type: "timeseries",
  title: "Requests per second by route",
  description: "Throughput per route.",
  datasource: PROM_DS,
  gridPos: { h: 8, w: 12, x: 0, y: 0 },
  fieldConfig: { defaults: { unit: "reqps", links: [] }, overrides: [] },
  targets: [{
    refId: "A",
    datasource: PROM_DS,
    expr: "sum by (route) (rate(http_requests_total{job=~\"$job\", instance=~\"$instance\"}[$__rate_interval]))",
    legendFormat: "{{route}}"
  }]
})

const dashboardWith = (panels: ReadonlyArray<Json>, overrides: Json = {}): Json => ({
  uid: "lint-fixture",
  title: "lint fixture",
  schemaVersion: 39,
  templating: {
    list: [
      { name: "datasource", type: "datasource", query: "prometheus" },
      { name: "loki", type: "datasource", query: "loki" },
      { name: "tempo", type: "datasource", query: "tempo" },
      { name: "job", type: "query", datasource: PROM_DS, query: { query: "label_values(cache_entries, job)" } },
      { name: "instance", type: "query", datasource: PROM_DS, query: { query: "label_values(cache_entries{job=~\"$job\"}, instance)" } }
    ]
  },
  panels,
  ...overrides
})

const withExpr = (expr: string, legendFormat = "__auto"): Json => {
  const panel = goodPanel()
  return { ...panel, targets: [{ ...(panel.targets as Array<Json>)[0], expr, legendFormat }] }
}

const F = "{job=~\"$job\", instance=~\"$instance\"}"

const broken: ReadonlyArray<{ readonly name: string; readonly rule: string; readonly panel: Json }> = [
  { name: "hard-coded panel data source uid", rule: "datasource-ref", panel: { ...goodPanel(), datasource: { type: "prometheus", uid: "P1809F7CD0C75ACF3" } } },
  {
    name: "hard-coded query data source uid",
    rule: "datasource-ref",
    panel: { ...goodPanel(), targets: [{ ...(goodPanel().targets as Array<Json>)[0], datasource: { type: "prometheus", uid: "prom-prod" } }] }
  },
  { name: "data source by name (legacy string)", rule: "datasource-ref", panel: { ...goodPanel(), datasource: "Prometheus" } },
  { name: "undefined data source variable", rule: "datasource-ref", panel: { ...goodPanel(), datasource: { type: "prometheus", uid: "${prom}" } } },
  { name: "Loki variable on a Prometheus panel", rule: "datasource-ref", panel: { ...goodPanel(), datasource: { type: "prometheus", uid: "${loki}" } } },
  { name: "no title", rule: "panel-title", panel: { ...goodPanel(), title: "" } },
  { name: "no description", rule: "panel-description", panel: { ...goodPanel(), description: undefined } },
  { name: "no unit", rule: "panel-unit", panel: { ...goodPanel(), fieldConfig: { defaults: {}, overrides: [] } } },
  { name: "fixed rate window", rule: "rate-interval", panel: withExpr(`sum(rate(http_requests_total${F}[5m]))`) },
  { name: "increase over $__interval", rule: "rate-interval", panel: withExpr(`sum(increase(job_runs_total${F}[$__interval]))`) },
  { name: "raw counter", rule: "counter-unwrapped", panel: withExpr(`sum(http_requests_total${F})`) },
  { name: "counter in *_over_time", rule: "counter-unwrapped", panel: withExpr(`avg_over_time(cache_hits_total${F}[$__rate_interval])`) },
  {
    name: "histogram_quantile over raw buckets",
    rule: "counter-unwrapped",
    panel: withExpr(`histogram_quantile(0.95, sum by (le) (datasource_request_duration_seconds_bucket${F}))`)
  },
  { name: "misspelt metric", rule: "unknown-metric", panel: withExpr(`sum(rate(http_request_total${F}[$__rate_interval]))`) },
  {
    name: "histogram base name",
    rule: "unknown-metric",
    panel: withExpr(`sum(rate(http_request_duration_seconds${F}[$__rate_interval]))`)
  },
  {
    name: "wrong label in a matcher",
    rule: "unknown-label",
    panel: withExpr(`sum(rate(http_requests_total{job=~"$job", instance=~"$instance", status=~"5.."}[$__rate_interval]))`)
  },
  { name: "grouping by a label the series lack", rule: "unknown-label", panel: withExpr(`sum by (source) (rate(cache_hits_total${F}[$__rate_interval]))`) },
  {
    name: "quantile without le",
    rule: "unknown-label",
    panel: withExpr(`histogram_quantile(0.95, sum by (route, le) (rate(http_requests_total${F}[$__rate_interval])))`)
  },
  { name: "job kind filtered by the scrape-job variable", rule: "scrape-job-label", panel: withExpr(`sum by (job) (increase(job_runs_total${F}[$__rate_interval]))`, "{{job}}") },
  {
    name: "exported_job (the scrape keeps job as is)",
    rule: "unknown-label",
    panel: withExpr(`sum by (exported_job) (increase(job_runs_total{instance=~"$instance"}[$__rate_interval]))`, "{{exported_job}}")
  },
  { name: "no variable filter", rule: "variable-filter", panel: withExpr("sum(rate(http_requests_total[$__rate_interval]))") },
  { name: "legend names a dropped label", rule: "legend-label", panel: withExpr(`sum by (status_code) (rate(http_requests_total${F}[$__rate_interval]))`, "{{route}}") },
  { name: "unbalanced query", rule: "promql-parse", panel: withExpr(`sum(rate(http_requests_total${F}[$__rate_interval])`) },
  {
    name: "latency panel without a Tempo link",
    rule: "tempo-link",
    panel: {
      ...withExpr(`histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket${F}[$__rate_interval])))`),
      fieldConfig: { defaults: { unit: "s", links: [] }, overrides: [] }
    }
  },
  {
    name: "Tempo link to a hard-coded data source",
    rule: "tempo-link",
    panel: {
      ...withExpr(`histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket${F}[$__rate_interval])))`),
      fieldConfig: { defaults: { unit: "s", links: [{ title: TEMPO_LINK_TITLE, url: "/explore?panes=tempo-prod" }] }, overrides: [] }
    }
  }
]

describe("dashboard lint", () => {
  it("passes a correct panel, latency panel and gauge named *_total", () => {
    const latency = {
      ...withExpr(`histogram_quantile(0.95, sum by (route, le) (rate(http_request_duration_seconds_bucket${F}[$__rate_interval])))`, "{{route}}"),
      id: 2,
      fieldConfig: { defaults: { unit: "s", links: [TEMPO_LINK] }, overrides: [] }
    }
    const gauge = { ...withExpr(`sum by (instance) (nodejs_active_handles_total${F})`, "{{instance}}"), id: 3 }
    const ratio = { ...withExpr("max by (job) (slo:availability_errors:ratio_rate1h{job=~\"$job\"}) / 0.001", "{{job}}"), id: 4 }
    const jobs = { ...withExpr("sum by (job, outcome) (increase(job_runs_total{instance=~\"$instance\"}[$__rate_interval]))", "{{job}} {{outcome}}"), id: 5 }
    assert.deepStrictEqual(lintDashboard("fixture.json", dashboardWith([goodPanel(), latency, gauge, ratio, jobs]), catalog).map(show), [])
  })

  for (const { name, panel, rule } of broken) {
    it(`reports ${name} (${rule})`, () => {
      const rules = lintDashboard("fixture.json", dashboardWith([panel]), catalog).map((f) => f.rule)
      assert.include(rules, rule)
    })
  }

  it("checks panels inside collapsed rows", () => {
    const row = { id: 9, type: "row", title: "Collapsed", collapsed: true, panels: [withExpr(`sum(http_requests_total${F})`)] }
    assert.include(lintDashboard("fixture.json", dashboardWith([row]), catalog).map((f) => f.rule), "counter-unwrapped")
  })

  it("reports dashboard-level mistakes", () => {
    const rulesOf = (d: Json) => lintDashboard("fixture.json", d, catalog).map((f) => f.rule)
    assert.include(rulesOf(dashboardWith([goodPanel()], { schemaVersion: 27 })), "schema")
    assert.include(rulesOf(dashboardWith([goodPanel()], { uid: "" })), "uid")
    assert.include(rulesOf(dashboardWith([goodPanel()], { templating: { list: [] } })), "datasource-variable")
    assert.include(rulesOf(dashboardWith([goodPanel(), goodPanel()])), "panel-id")
    const badVariable = dashboardWith([goodPanel()])
    ;(asObject(badVariable.templating)!.list as Array<Json>).push({
      name: "route",
      type: "query",
      datasource: PROM_DS,
      query: { query: "label_values(http_requests_active, path)" }
    })
    assert.include(rulesOf(badVariable), "unknown-label")
  })

  it("reports invalid JSON and a uid or title used twice", () => {
    const one = JSON.stringify(dashboardWith([goodPanel()]))
    const rules = lintFiles([{ file: "a.json", text: one }, { file: "b.json", text: one }, { file: "c.json", text: "{\"uid\": " }], catalog).map((f) => f.rule)
    assert.includeMembers(rules, ["uid", "title", "json"])
  })
})

describe("dashboards/*.json", () => {
  const files = dashboardFiles()

  it("has the six dashboards", () => {
    assert.deepStrictEqual(files.map((f) => f.file), [
      "api-overview.json",
      "cache.json",
      "data-sources.json",
      "runtime.json",
      "slo.json",
      "store-and-jobs.json"
    ])
  })

  it("pass the lint", () => {
    assert.deepStrictEqual(lintFiles(files, catalog).map(show), [])
  })

  it("the API overview shows the service's logs, with trace ids linked to Tempo", () => {
    const dashboard = JSON.parse(files.find((f) => f.file === "api-overview.json")!.text) as Json
    const panels = allPanels(dashboard)
    const loki = panels.filter((p) => asObject(p.datasource)?.uid === "${loki}")
    const logs = loki.find((p) => p.type === "logs")
    assert.isDefined(logs)
    assert.match(String(asObject(asArray(logs!.targets)[0])?.expr), /^\{app="marketgate"\} \| json/)
    const traceLinks = loki.flatMap((p) => {
      const overrides = objects(asObject(p.fieldConfig)?.overrides)
      return overrides
        .filter((o) => asObject(o.matcher)?.options === "trace_id")
        .flatMap((o) => linksOf({ fieldConfig: { overrides: [o] } }))
    })
    assert.isAbove(traceLinks.length, 0)
    assert.include(String(traceLinks[0]!.url), "${tempo}")
    assert.include(String(traceLinks[0]!.url), "${__value.raw}")
  })

  it("the SLO dashboard reads every availability and latency window", () => {
    const text = files.find((f) => f.file === "slo.json")!.text
    for (const rule of RECORDING_RULES.filter((r) => r.startsWith("slo:"))) assert.include(text, rule)
  })
})
