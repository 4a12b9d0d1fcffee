import { Context, Effect, Layer } from "effect"
import * as Prom from "prom-client"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"

/** A request slower than this counts in `slow_http_requests_total` (the latency SLO threshold). */
export const SLOW_REQUEST_SECONDS = 0.3

/**
 * RED metrics of the HTTP API, labelled by route template, never the raw path.
 * `start` marks a request active and returns the function that records its end
 * (status) and returns its duration in seconds.
 */
export class HttpMetrics extends Context.Service<HttpMetrics, {
  readonly start: (method: string, route: string) => (status: number) => number
}>()("@marketgate/server/Http/HttpMetrics") {
  static readonly layer = Layer.effect(
    HttpMetrics,
    Effect.gen(function*() {
      const { registry } = yield* MetricsRegistry
      const labelNames = ["method", "route", "status_code"] as const
      const duration = new Prom.Histogram({
        name: "http_request_duration_seconds",
        help: "Time to answer an HTTP request",
        labelNames,
        // Boundaries at the SLO thresholds (0.1 s, 0.3 s, 1 s) so quantiles near them are exact.
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10],
        registers: [registry]
      })
      const requests = new Prom.Counter({ name: "http_requests_total", help: "HTTP requests answered", labelNames, registers: [registry] })
      const active = new Prom.Gauge({
        name: "http_requests_active",
        help: "HTTP requests being answered",
        labelNames: ["method", "route"],
        registers: [registry]
      })
      const slow = new Prom.Counter({
        name: "slow_http_requests_total",
        help: `HTTP requests slower than ${SLOW_REQUEST_SECONDS * 1000} ms`,
        labelNames,
        registers: [registry]
      })

      // Label-bound children, made once per (method, route, status): labels are
      // hashed once instead of four times per request.
      const activeChildren = new Map<string, Prom.Gauge.Internal<"method" | "route">>()
      const ended = new Map<string, {
        readonly duration: Prom.Histogram.Internal<"method" | "route" | "status_code">
        readonly requests: Prom.Counter.Internal
        readonly slow: Prom.Counter.Internal
      }>()

      const start = (method: string, route: string) => {
        const key = `${method} ${route}`
        let gauge = activeChildren.get(key)
        if (gauge === undefined) activeChildren.set(key, gauge = active.labels(method, route))
        gauge.inc()
        const began = process.hrtime.bigint()
        return (status: number) => {
          const seconds = Number(process.hrtime.bigint() - began) / 1e9
          gauge.dec()
          const k = `${key} ${status}`
          let c = ended.get(k)
          if (c === undefined) {
            const code = String(status)
            ended.set(k, c = {
              duration: duration.labels(method, route, code),
              requests: requests.labels(method, route, code),
              slow: slow.labels(method, route, code)
            })
          }
          c.duration.observe(seconds)
          c.requests.inc()
          if (seconds > SLOW_REQUEST_SECONDS) c.slow.inc()
          return seconds
        }
      }
      return HttpMetrics.of({ start })
    })
  )
}
