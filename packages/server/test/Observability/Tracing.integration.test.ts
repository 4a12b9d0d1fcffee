import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Http from "node:http"
import * as Path from "node:path"
import { freePort } from "../support/RedisTest.ts"
import { spawnService } from "../support/ServiceProcess.ts"
import { tempDir } from "../support/TestDatabase.ts"

// The real service process exporting OTLP/HTTP to a local receiver: one
// cache-miss request must arrive as one trace whose id is the envelope's,
// with the request → cache → store → provider spans nested as DESIGN.md says.

interface OtlpSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly attributes?: ReadonlyArray<{ readonly key: string; readonly value: Record<string, unknown> }>
}

/** A minimal OTLP/HTTP (JSON) trace receiver on loopback; keeps every span it is sent. */
const otlpReceiver = Effect.acquireRelease(
  Effect.callback<{ readonly port: number; readonly spans: Array<OtlpSpan>; readonly requests: Array<string>; readonly server: Http.Server }>((resume) => {
    const spans: Array<OtlpSpan> = []
    const requests: Array<string> = []
    const server = Http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        requests.push(`${req.method} ${req.url} ${req.headers["content-type"]}`)
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8"))
          for (const rs of body.resourceSpans ?? []) {
            for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []))
          }
        } catch {
          // Not JSON: recorded in `requests`, asserted on below.
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      resume(Effect.succeed({ port: typeof address === "object" && address !== null ? address.port : 0, spans, requests, server }))
    })
  }),
  ({ server }) => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
)

const attribute = (span: OtlpSpan, key: string): unknown => {
  const found = span.attributes?.find((a) => a.key === key)?.value
  return found === undefined ? undefined : Object.values(found)[0]
}

describe("tracing over OTLP/HTTP", () => {
  it.live("a cache-miss request is one trace: request → cache → store → provider, with the envelope's trace id", () =>
    Effect.gen(function*() {
      const receiver = yield* otlpReceiver
      const dir = yield* tempDir("mg-tracing-")
      const port = yield* freePort
      const service = yield* spawnService({
        PORT: String(port),
        DATA_DIR: Path.join(dir, "data"),
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
        OTEL_TRACES_SAMPLER_ARG: "1",
        SKIP_INTEGRITY_CHECK: "1",
        PREWARM_COUNT: "0",
        SCHEDULER_ENABLED: "false"
      })
      yield* service.waitForLine((l) => l.includes("Listening on"), "60 seconds")
      const response = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/v1/bars/600519.SH?from=2024-01-01&to=2024-03-31`))
      const body: any = yield* Effect.promise(() => response.json())
      assert.strictEqual(response.status, 200)
      assert.isFalse(body.performance.cache_hit)
      const traceId: string = body.performance.trace_id
      assert.strictEqual(response.headers.get("x-trace-id"), traceId)

      // SIGTERM: the service drains and the tracer flushes what it holds.
      service.child.kill("SIGTERM")
      assert.strictEqual(yield* service.exited, 0)

      assert.isTrue(receiver.requests.length > 0, "nothing was exported")
      for (const r of receiver.requests) assert.match(r, /^POST \/v1\/traces application\/json/)
      const trace = receiver.spans.filter((s) => s.traceId === traceId)
      assert.isAbove(trace.length, 4, `spans of the trace: ${trace.map((s) => s.name).join(", ")}`)
      const byId = new Map(trace.map((s) => [s.spanId, s]))
      const roots = trace.filter((s) => s.parentSpanId === undefined || s.parentSpanId === "" || !byId.has(s.parentSpanId))
      assert.strictEqual(roots.length, 1, `one root expected, got ${roots.map((s) => s.name).join(", ")}`)
      const root = roots[0]!
      assert.strictEqual(attribute(root, "http.route"), "/v1/bars/:symbol")
      assert.strictEqual(Number(attribute(root, "http.status_code")), 200)
      assert.strictEqual(Number(attribute(root, "http.response.status_code")), 200)

      /** The names on the way from `span` up to the root. */
      const ancestry = (span: OtlpSpan): Array<string> => {
        const names: Array<string> = []
        for (let s: OtlpSpan | undefined = span; s !== undefined; s = s.parentSpanId === undefined ? undefined : byId.get(s.parentSpanId)) {
          names.push(s.name)
        }
        return names
      }
      const one = (name: string) => {
        const found = trace.filter((s) => s.name === name)
        assert.isAbove(found.length, 0, `no ${name} span; the trace has ${[...new Set(trace.map((s) => s.name))].join(", ")}`)
        return found[0]!
      }
      const lookup = one("Cache.lookup")
      assert.strictEqual(attribute(lookup, "cache.level"), "load")
      assert.strictEqual(attribute(lookup, "cache.hit"), false)
      const history = one("DailyHistory.sessions")
      assert.include(ancestry(history), "Cache.lookup")
      const storeRead = one("DailyBarRepo.range")
      assert.include(ancestry(storeRead), "DailyHistory.sessions")
      const provider = one("datasource.dailyBars")
      assert.include(ancestry(provider), "DailyHistory.sessions")
      assert.strictEqual(attribute(provider, "datasource.name"), "simulated")
      assert.strictEqual(attribute(provider, "breaker.state"), "closed")
      const attempt = one("datasource.attempt")
      assert.include(ancestry(attempt), "datasource.dailyBars")
      assert.strictEqual(Number(attribute(attempt, "retry.attempt")), 1)
      // Every SQL statement is a span of its own, under the store call that sent it.
      const statements = trace.filter((s) => ancestry(s).includes("DailyBarRepo.range") && s !== storeRead)
      assert.isAbove(statements.length, 0, "no SQL statement span under DailyBarRepo.range")
      // And the whole chain ends at the request's root span.
      assert.strictEqual(ancestry(attempt).at(-1), root.name)
    }), { timeout: 90_000 })
})
