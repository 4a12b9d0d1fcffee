import { assert, describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { freshPglite } from "../support/TestDatabase.ts"
import { getJson, getText, type JsonAnswer, postJson, testApp } from "../support/TestApp.ts"

const expectEnvelopeError = (answer: JsonAnswer, status: number, msg: string | RegExp) => {
  assert.strictEqual(answer.status, status)
  assert.strictEqual(answer.body.code, status)
  assert.isNull(answer.body.data)
  if (typeof msg === "string") assert.strictEqual(answer.body.msg, msg)
  else assert.match(answer.body.msg, msg)
  assert.match(answer.body.performance.trace_id, /^[0-9a-f]{32}$/)
  assert.isFalse(answer.body.performance.cache_hit)
}

// The real server and services over the embedded store; time is real, so the
// assertions stick to history (2024), which never changes.
describe("HTTP API", () => {
  layer(testApp(freshPglite()), { timeout: "60 seconds", excludeTestServices: true })("end to end", (it) => {
    it.effect("a year of daily bars: one per Shanghai session of 2024, sorted; the repeat is a cache hit", () =>
      Effect.gen(function*() {
        const url = "/v1/bars/600519.SH?interval=1d&from=2024-01-01&to=2024-12-31"
        const first = yield* getJson(url)
        assert.strictEqual(first.status, 200)
        assert.strictEqual(first.body.code, 0)
        assert.strictEqual(first.body.msg, "ok")
        const dates: Array<string> = first.body.data.bars.map((b: { date: string }) => b.date)
        assert.strictEqual(dates.length, 242)
        assert.deepStrictEqual(dates, [...dates].sort())
        assert.strictEqual(new Set(dates).size, 242)
        assert.strictEqual(first.body.data.symbol, "600519.SH")
        assert.isFalse(first.body.performance.cache_hit)
        assert.isAbove(first.body.performance.latency_ms, 0)
        assert.strictEqual(first.body.performance.trace_id, first.headers["x-trace-id"])

        const second = yield* getJson(url)
        assert.isTrue(second.body.performance.cache_hit)
        assert.deepStrictEqual(second.body.data, first.body.data)
        assert.notStrictEqual(second.body.performance.trace_id, first.body.performance.trace_id)
      }))

    it.effect("bad input gets a 4xx envelope with a sentence saying what to change, never a 5xx", () =>
      Effect.gen(function*() {
        expectEnvelopeError(
          yield* getJson("/v1/bars/600519.SH?from=2024-12-31&to=2024-01-01"),
          400,
          "from (2024-12-31) must not be after to (2024-01-01)"
        )
        expectEnvelopeError(
          yield* getJson("/v1/bars/NOPE.XX"),
          400,
          "path parameter 'symbol': 'NOPE.XX' is not a symbol: use CODE.EXCHANGE with exchange SH, SZ or US, e.g. 600519.SH, 000001.SZ, AAPL.US or the index ^GSPC.US"
        )
        expectEnvelopeError(
          yield* getJson("/v1/bars/999999.SH"),
          404,
          "unknown symbol '999999.SH'; list known symbols with GET /v1/instruments?q="
        )
        expectEnvelopeError(
          yield* getJson("/v1/bars/600519.SH?interval=2d"),
          400,
          "query parameter 'interval': expected one of 1m, 5m, 15m, 30m, 60m, 1d, 1w, 1M, got '2d'"
        )
        expectEnvelopeError(
          yield* getJson("/v1/bars/600519.SH?from=1995-01-01&to=2024-12-31"),
          400,
          /^range exceeds 5000 bars \(it covers \d+\); narrow from\/to$/
        )
        expectEnvelopeError(
          yield* getJson("/v1/bars/600519.SH?from=2024-02-30"),
          400,
          "query parameter 'from': '2024-02-30' is not a date: use YYYY-MM-DD, e.g. 2024-01-31"
        )
        const tooMany = Array.from({ length: 101 }, (_, i) => `${600000 + i}.SH`).join(",")
        expectEnvelopeError(
          yield* getJson(`/v1/quotes?symbols=${tooMany}`),
          400,
          /symbols must list 1 to 100 symbols separated by commas, got 101/
        )
        // An unknown symbol among known ones is listed as missing; alone, it is a 404.
        const partly = yield* getJson("/v1/quotes?symbols=600519.SH,999999.SH")
        assert.strictEqual(partly.status, 200)
        assert.deepStrictEqual(partly.body.data.missing.map((m: { symbol: string; reason: string }) => [m.symbol, m.reason]), [["999999.SH", "not_found"]])
        expectEnvelopeError(yield* getJson("/v1/quotes?symbols=999999.SH"), 404, /unknown symbol '999999.SH'/)
        expectEnvelopeError(yield* getJson("/v1/indicators/600519.SH"), 400, "query parameter 'name' is required")
        expectEnvelopeError(yield* getJson("/v1/instruments?limit=5000"), 400, /limit must be a whole number from 1 to 1000/)
        expectEnvelopeError(yield* getJson("/v1/no-such-thing"), 404, "no endpoint GET /v1/no-such-thing; the API is described at /docs")
        const bad = yield* getJson("/v1/bars/600519.SH?interval=2d")
        assert.deepStrictEqual(bad.body.details, [{
          path: "interval",
          message: "expected one of 1m, 5m, 15m, 30m, 60m, 1d, 1w, 1M, got '2d'"
        }])
      }))

    it.effect("market overview (demo world): indices in order, breadth of the whole simulated market, movers sorted", () =>
      Effect.gen(function*() {
        for (const market of ["CN", "US"] as const) {
          const answer = yield* getJson(`/v1/market/overview?market=${market}`)
          assert.strictEqual(answer.status, 200, JSON.stringify(answer.body).slice(0, 300))
          const o = answer.body.data
          assert.deepStrictEqual(
            o.indices.map((q: { symbol: string }) => q.symbol),
            market === "CN" ? ["000001.SH", "399001.SZ", "000300.SH", "399006.SZ", "000688.SH"] : ["^GSPC.US", "^IXIC.US", "^DJI.US"]
          )
          const b = o.breadth
          assert.strictEqual(b.advancers + b.decliners + b.unchanged + b.suspended, b.total)
          assert.strictEqual(b.total, o.snapshot.instruments)
          assert.strictEqual(o.snapshot.expected, o.snapshot.instruments)
          assert.isAbove(b.total, market === "CN" ? 3000 : 500)
          assert.isAbove(o.turnover, 0)
          assert.oneOf(o.status, ["pre_open", "open", "lunch_break", "closed", "holiday"])
          const pct = o.top_gainers.map((q: { change_pct: number }) => q.change_pct)
          assert.deepStrictEqual(pct, [...pct].sort((x, y) => y - x))
          assert.strictEqual(o.most_active.length, 10)
          if (market === "US") assert.strictEqual(b.limit_up + b.limit_down, 0)
        }
        expectEnvelopeError(yield* getJson("/v1/market/overview?market=HK"), 400, /market/)
      }))

    it.effect("the demo world reads naturally: well-known listings near their real price levels", () =>
      Effect.gen(function*() {
        const answer = yield* getJson("/v1/quotes?symbols=600519.SH,000001.SZ,AAPL.US,000001.SH")
        const price = new Map(answer.body.data.quotes.map((q: { symbol: string; price: number }) => [q.symbol, q.price]))
        // Levels of 2025-02-14 (¥1,458, ¥11.4, $244.6, 3,346 points), held near them since.
        assert.isTrue((price.get("600519.SH") as number) > 1000 && (price.get("600519.SH") as number) < 2200)
        assert.isTrue((price.get("000001.SZ") as number) > 7 && (price.get("000001.SZ") as number) < 17)
        assert.isTrue((price.get("AAPL.US") as number) > 150 && (price.get("AAPL.US") as number) < 400)
        assert.isTrue((price.get("000001.SH") as number) > 2300 && (price.get("000001.SH") as number) < 4800)
        const search = yield* getJson("/v1/instruments?q=gzmt")
        assert.strictEqual(search.body.data.instruments[0].symbol, "600519.SH")
        const indices = yield* getJson("/v1/instruments?kind=index&market=US")
        assert.deepStrictEqual(indices.body.data.instruments.map((i: { symbol: string }) => i.symbol), ["^DJI.US", "^GSPC.US", "^IXIC.US"])
      }))

    it.effect("instruments: search, one, case-insensitive symbols", () =>
      Effect.gen(function*() {
        const page = yield* getJson("/v1/instruments?market=US&q=apple&limit=5")
        assert.strictEqual(page.status, 200)
        assert.isTrue(page.body.data.instruments.some((i: { symbol: string }) => i.symbol === "AAPL.US"))
        for (const i of page.body.data.instruments) assert.strictEqual(i.market, "US")
        const one = yield* getJson("/v1/instruments/600519.sh")
        assert.strictEqual(one.body.data.symbol, "600519.SH")
        assert.strictEqual(one.body.data.board, "main")
        const cn = yield* getJson("/v1/instruments?market=CN&limit=1")
        assert.isAtLeast(cn.body.data.total, 3000)
      }))

    it.effect("quotes in request order; indicators over the same history", () =>
      Effect.gen(function*() {
        const quotes = yield* getJson("/v1/quotes?symbols=AAPL.US,600519.SH")
        assert.deepStrictEqual(quotes.body.data.quotes.map((q: { symbol: string }) => q.symbol), ["AAPL.US", "600519.SH"])
        const rsi = yield* getJson("/v1/indicators/600519.SH?name=rsi&from=2024-12-01&to=2024-12-31")
        assert.strictEqual(rsi.status, 200)
        assert.deepStrictEqual(rsi.body.data.params, { period: 14 })
        for (const p of rsi.body.data.points) {
          assert.isAtLeast(p.values.value, 0)
          assert.isAtMost(p.values.value, 100)
        }
      }))

    it.effect("an incoming W3C traceparent becomes the request's trace; x-request-id is echoed", () =>
      Effect.gen(function*() {
        const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
        const answer = yield* getJson("/v1/instruments/AAPL.US", {
          traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
          "x-request-id": "req-123"
        })
        assert.strictEqual(answer.body.performance.trace_id, traceId)
        assert.strictEqual(answer.headers["x-request-id"], "req-123")
      }))

    it.effect("/metrics labels HTTP metrics by route template, never the raw path", () =>
      Effect.gen(function*() {
        yield* getJson("/v1/bars/000001.SZ?from=2024-06-03&to=2024-06-07")
        const metrics = yield* getText("/metrics")
        assert.strictEqual(metrics.status, 200)
        expect(metrics.text).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/v1\/bars\/:symbol"[^}]*\}/)
        expect(metrics.text).toMatch(/http_requests_total\{method="GET",route="\/v1\/bars\/:symbol",status_code="200"\}/)
        expect(metrics.text).not.toMatch(/route="\/v1\/bars\/000001/)
        expect(metrics.text).toMatch(/nodejs_eventloop_lag_seconds/)
      }))

    it.effect("POST /v1/bars/batch: every symbol gets its own entry; one failing symbol does not fail the others", () =>
      Effect.gen(function*() {
        const answer = yield* postJson("/v1/bars/batch", {
          symbols: ["600519.SH", "NOPE", "999999.SH", "aapl.us"],
          from: "2024-06-03",
          to: "2024-06-07"
        })
        assert.strictEqual(answer.status, 200)
        const results = answer.body.data.results
        assert.deepStrictEqual(results.map((r: { symbol: string; ok: boolean }) => [r.symbol, r.ok]), [
          ["600519.SH", true],
          ["NOPE", false],
          ["999999.SH", false],
          ["aapl.us", true]
        ])
        assert.strictEqual(results[0].data.bars.length, 5)
        assert.strictEqual(results[3].data.symbol, "AAPL.US")
        assert.strictEqual(results[1].error.code, 400)
        assert.match(results[1].error.msg, /'NOPE' is not a symbol/)
        assert.deepStrictEqual(results[2].error, {
          code: 404,
          msg: "unknown symbol '999999.SH'; list known symbols with GET /v1/instruments?q="
        })
        // The same series as the single-symbol endpoint.
        const single = yield* getJson("/v1/bars/600519.SH?from=2024-06-03&to=2024-06-07")
        assert.deepStrictEqual(results[0].data, single.body.data)
        const tooMany = yield* postJson("/v1/bars/batch", { symbols: Array.from({ length: 201 }, () => "600519.SH") })
        expectEnvelopeError(tooMany, 400, "request body field 'symbols': symbols must list 1 to 200 symbols, got 201")
      }))

    it.effect("GET /v1/sources reports each provider's breaker, latency, error rate, calls and rate limit", () =>
      Effect.gen(function*() {
        yield* getJson("/v1/quotes?symbols=600519.SH")
        const answer = yield* getJson("/v1/sources")
        const [simulated] = answer.body.data.sources
        assert.strictEqual(simulated.name, "simulated")
        assert.strictEqual(simulated.priority, 1)
        assert.deepStrictEqual(simulated.breaker, { state: "closed", consecutive_failures: 0, retry_after_ms: null })
        assert.isAbove(simulated.calls.success, 0)
        assert.strictEqual(simulated.error_rate, 0)
        assert.isAtLeast(simulated.latency_ewma_ms, 0)
        assert.deepStrictEqual(simulated.markets, ["CN", "US"])
        assert.strictEqual(simulated.rate_limit.paused_until, null)
      }))

    it.effect("health, readiness, OpenAPI with the envelope, and the docs page", () =>
      Effect.gen(function*() {
        assert.deepStrictEqual((yield* getJson("/health")).body, { status: "ok" })
        const ready = yield* getJson("/ready")
        assert.deepStrictEqual(ready.body, { status: "ready", checks: { store: "ok", instruments: "ok" } })
        const openapi = yield* getJson("/openapi.json")
        const ok = openapi.body.paths["/v1/bars/{symbol}"].get.responses["200"].content["application/json"].schema
        assert.deepStrictEqual(Object.keys(ok.properties), ["code", "data", "msg", "performance"])
        const notFound = openapi.body.paths["/v1/bars/{symbol}"].get.responses["404"].content["application/json"].schema
        assert.deepStrictEqual(notFound.properties.data, { type: "null" })
        const docs = yield* getText("/docs")
        assert.strictEqual(docs.status, 200)
        assert.include(docs.text, "<html")
      }))
  })
})
