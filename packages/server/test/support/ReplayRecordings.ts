import { readdirSync, readFileSync } from "node:fs"
import iconv from "iconv-lite"

/**
 * The recordings under test/fixtures, indexed the way the real endpoints are
 * addressed, and the answer each provider gives to a request. Only the path
 * and the symbol / secid / list select a recording; period1, period2, crumb,
 * beg/end and other parameters are ignored, so "up to now" requests still match.
 */

export type Provider = "yahoo" | "eastmoney" | "sina" | "tencent" | "nasdaqtrader"

export interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer
}

const fixtures = new URL("../fixtures/", import.meta.url)
const read = (path: string) => readFileSync(new URL(path, fixtures), "utf8")
const list = (dir: string) => readdirSync(new URL(dir, fixtures))

const json = (status: number, value: unknown): Answer => ({
  status,
  headers: { "content-type": "application/json;charset=utf-8" },
  body: Buffer.from(JSON.stringify(value))
})

// The live Sina and Tencent endpoints answer in GBK; the recordings are stored as UTF-8.
const gbkText = (text: string): Answer => ({
  status: 200,
  headers: { "content-type": "application/javascript; charset=GBK" },
  body: iconv.encode(text, "gbk")
})

interface Recorded {
  readonly request: { readonly url: string }
  readonly response: { readonly status: number; readonly bodyJson: any }
}

interface Chart {
  readonly period1: number
  readonly status: number
  readonly body: unknown
}

const charts = new Map<string, Array<Chart>>()
const yahooQuotes = new Map<string, unknown>()
for (const file of list("yahoo/").filter((f) => f.endsWith(".json"))) {
  const recorded = JSON.parse(read(`yahoo/${file}`)) as Recorded
  const url = new URL(recorded.request.url)
  if (url.pathname.startsWith("/v8/finance/chart/")) {
    const key = `${decodeURIComponent(url.pathname.slice("/v8/finance/chart/".length))}|${url.searchParams.get("interval")}`
    const entry = { period1: Number(url.searchParams.get("period1")), status: recorded.response.status, body: recorded.response.bodyJson }
    charts.set(key, [...(charts.get(key) ?? []), entry])
  } else {
    for (const result of recorded.response.bodyJson.quoteResponse.result) yahooQuotes.set(result.symbol, result)
  }
}

const klines = new Map<string, unknown>()
for (const file of list("cn/eastmoney/").filter((f) => f.startsWith("kline-"))) {
  const body = JSON.parse(read(`cn/eastmoney/${file}`))
  klines.set(`${body.data.market}.${body.data.code}`, body)
}
// The quote recording is the `data` object alone; it is served in the envelope the kline recording shows.
const eastmoneyQuotes = new Map<string, unknown>()
for (const file of list("cn/eastmoney/").filter((f) => f.startsWith("quote-"))) {
  const data = JSON.parse(read(`cn/eastmoney/${file}`))
  eastmoneyQuotes.set(`${file.startsWith("quote-sh") ? 1 : 0}.${data.f57}`, data)
}

/**
 * Recorded clist pages by `fs|pn`, from the request URL each recording names
 * (kept in its file's README). The recordings are JSONP (the browser asked
 * with `cb=`); without `cb` Eastmoney answers the same JSON bare, so the
 * wrapper is taken off.
 */
const clistPages = new Map<string, unknown>([
  ["m:1 t:2,m:1 t:23|1", read("cn/eastmoney/clist-sh-a-gainers-pn1-2024-08-08.jsonp")],
  // The capital-flow ranking (fid=f62, po=1): its request named these boards, each with `f:!2`.
  ["m:0 t:6 f:!2,m:0 t:13 f:!2,m:0 t:80 f:!2,m:1 t:2 f:!2,m:1 t:23 f:!2|1", read("cn/eastmoney/clist-hs-a-fundflow-pn1-2024-08-08.jsonp")]
].map(([key, text]) => [key!, JSON.parse(text!.slice(text!.indexOf("(") + 1, text!.lastIndexOf(")")))]))
// What Eastmoney answers past a list's last page (or for a list not recorded here): no data. Hand-made; see the fixtures README.
const clistEnd = { rc: 0, rt: 6, svr: 0, lt: 1, full: 1, dlmkts: "", data: null }

/** The Nasdaq Trader directory files served, by name; a test can swap in another recording. */
export const nasdaqFiles = new Map<string, string>([
  ["nasdaqlisted", "nasdaqtrader/nasdaqlisted-2025-10-20.txt"],
  ["otherlisted", "nasdaqtrader/otherlisted-2025-10-20.txt"]
])

/** `var hq_str_sh510500="…";` / `v_sh510500="…";` lines by code. */
const linesByCode = (dir: string, pattern: RegExp) => {
  const lines = new Map<string, string>()
  for (const file of list(dir).filter((f) => f.endsWith(".txt"))) {
    for (const line of read(`${dir}${file}`).split("\n").filter((l) => l.trim().length > 0)) {
      const code = pattern.exec(line)?.[1]
      if (code !== undefined) lines.set(code, line.trim())
    }
  }
  return lines
}
const sinaLines = linesByCode("cn/sina/", /^var hq_str_(\w+)=/)
const tencentLines = linesByCode("cn/tencent/", /^v_(\w+)=/)

const yahooChart = (symbol: string, query: URLSearchParams): Answer => {
  const candidates = charts.get(`${symbol}|${query.get("interval") ?? "1d"}`)
  if (candidates === undefined) {
    return json(404, { chart: { result: null, error: { code: "Not Found", description: "No data found, symbol may be delisted" } } })
  }
  // Several recordings of one symbol: the one whose range starts nearest the request's.
  const period1 = Number(query.get("period1") ?? 0)
  const best = candidates.reduce((a, b) => (Math.abs(b.period1 - period1) < Math.abs(a.period1 - period1) ? b : a))
  return json(best.status, best.body)
}

/** The answer to a request, and the provider it addresses (undefined: no provider's path). */
export const route = (path: string, query: URLSearchParams, headers: Record<string, string | undefined>) => {
  if (path.startsWith("/v8/finance/chart/")) {
    return { provider: "yahoo" as const, answer: yahooChart(decodeURIComponent(path.slice("/v8/finance/chart/".length)), query) }
  }
  if (path === "/v7/finance/quote") {
    // Yahoo leaves symbols it does not know out of the list (quote-SIX.json).
    const symbols = (query.get("symbols") ?? "").split(",")
    const result = symbols.flatMap((s) => (yahooQuotes.has(s) ? [yahooQuotes.get(s)] : []))
    return { provider: "yahoo" as const, answer: json(200, { quoteResponse: { result, error: null } }) }
  }
  if (path === "/api/qt/stock/kline/get" || path === "/api/qt/stock/get") {
    const secid = query.get("secid") ?? ""
    const found = path === "/api/qt/stock/get"
      ? eastmoneyQuotes.has(secid) ? { rc: 0, rt: 4, lt: 1, full: 1, dlmkts: "", data: eastmoneyQuotes.get(secid) } : undefined
      : klines.get(secid)
    return { provider: "eastmoney" as const, answer: found === undefined ? json(404, { rc: 100, data: null }) : json(200, found) }
  }
  if (path === "/api/qt/clist/get") {
    const page = clistPages.get(`${query.get("fs")}|${query.get("pn") ?? "1"}`) ?? clistEnd
    return { provider: "eastmoney" as const, answer: json(200, page) }
  }
  const directory = /^\/dynamic\/SymDir\/(\w+)\.txt$/.exec(path)?.[1]
  if (directory !== undefined) {
    const file = nasdaqFiles.get(directory)
    return {
      provider: "nasdaqtrader" as const,
      answer: file === undefined
        ? { status: 404, headers: {}, body: Buffer.from("not found") }
        // The live files are CRLF text; the recordings keep the line ends they were committed with.
        : { status: 200, headers: { "content-type": "text/plain" }, body: Buffer.from(read(file)) }
    }
  }
  if (path.startsWith("/list=")) {
    // Sina refuses requests without a Referer from its own site.
    if (!(headers.referer ?? "").includes("sina.com.cn")) {
      return { provider: "sina" as const, answer: { status: 403, headers: {}, body: Buffer.from("Kinsoku jikou desu!") } }
    }
    const codes = path.slice("/list=".length).split(",")
    const text = codes.map((c) => sinaLines.get(c) ?? `var hq_str_${c}="";`).join("\n") + "\n"
    return { provider: "sina" as const, answer: gbkText(text) }
  }
  if (path.startsWith("/q=")) {
    const known = path.slice("/q=".length).split(",").flatMap((c) => tencentLines.get(c) ?? [])
    return { provider: "tencent" as const, answer: gbkText((known.length > 0 ? known.join("\n") : `v_pv_none_match="1";`) + "\n") }
  }
  return { provider: undefined, answer: { status: 404, headers: {}, body: Buffer.from("not found") } }
}
