import { Context, Effect, Layer } from "effect"
import * as Prom from "prom-client"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"

/** The provider metrics of DESIGN.md, shared by every guarded provider. */
export class SourceMetrics extends Context.Service<SourceMetrics, {
  readonly requests: Prom.Counter<"source" | "operation" | "outcome">
  readonly duration: Prom.Histogram<"source" | "operation" | "outcome">
  readonly breakerState: Prom.Gauge<"source">
  readonly breakerTransitions: Prom.Counter<"source" | "from" | "to">
  readonly rateLimit: Prom.Gauge<"source">
}>()("@marketgate/server/Sources/SourceMetrics") {
  static readonly layer = Layer.effect(
    SourceMetrics,
    Effect.gen(function*() {
      const { registry } = yield* MetricsRegistry
      const labelNames = ["source", "operation", "outcome"] as const
      return SourceMetrics.of({
        requests: new Prom.Counter({
          name: "datasource_requests_total",
          help: "Calls to upstream providers by outcome (success, a failure reason, circuit_open, throttled)",
          labelNames,
          registers: [registry]
        }),
        duration: new Prom.Histogram({
          name: "datasource_request_duration_seconds",
          help: "Duration of calls to upstream providers, retries included",
          labelNames,
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.3, 0.5, 1, 2, 5, 10],
          registers: [registry]
        }),
        breakerState: new Prom.Gauge({
          name: "datasource_breaker_state",
          help: "Circuit breaker state per provider: 0 closed, 1 half-open, 2 open",
          labelNames: ["source"],
          registers: [registry]
        }),
        breakerTransitions: new Prom.Counter({
          name: "datasource_breaker_transitions_total",
          help: "Circuit breaker state changes per provider",
          labelNames: ["source", "from", "to"],
          registers: [registry]
        }),
        rateLimit: new Prom.Gauge({
          name: "datasource_rate_limit_per_second",
          help: "Current adaptive rate limit per provider (cut on 429, regrown on success)",
          labelNames: ["source"],
          registers: [registry]
        })
      })
    })
  )
}
