import { Context, Effect, Layer } from "effect"
import * as Prom from "prom-client"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"

/** A request slower than this counts in `slow_http_requests_total` (the latency SLO threshold). */
export const SLOW_REQUEST_SECONDS = 0.3

/** RED metrics of the HTTP API, labelled by route template, never the raw path. */
export class HttpMetrics extends Context.Service<HttpMetrics, {
  readonly duration: Prom.Histogram<"method" | "route" | "status_code">
  readonly requests: Prom.Counter<"method" | "route" | "status_code">
  readonly active: Prom.Gauge<"method" | "route">
  readonly slow: Prom.Counter<"method" | "route" | "status_code">
}>()("@marketgate/server/Http/HttpMetrics") {
  static readonly layer = Layer.effect(
    HttpMetrics,
    Effect.gen(function*() {
      const { registry } = yield* MetricsRegistry
      const labelNames = ["method", "route", "status_code"] as const
      return HttpMetrics.of({
        duration: new Prom.Histogram({
          name: "http_request_duration_seconds",
          help: "Time to answer an HTTP request",
          labelNames,
          // Boundaries at the SLO thresholds (0.1 s, 0.3 s, 1 s) so quantiles near them are exact.
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10],
          registers: [registry]
        }),
        requests: new Prom.Counter({
          name: "http_requests_total",
          help: "HTTP requests answered",
          labelNames,
          registers: [registry]
        }),
        active: new Prom.Gauge({
          name: "http_requests_active",
          help: "HTTP requests being answered",
          labelNames: ["method", "route"],
          registers: [registry]
        }),
        slow: new Prom.Counter({
          name: "slow_http_requests_total",
          help: `HTTP requests slower than ${SLOW_REQUEST_SECONDS * 1000} ms`,
          labelNames,
          registers: [registry]
        })
      })
    })
  )
}
