import { Context, Effect, Layer } from "effect"
import * as Prom from "prom-client"

/**
 * The Prometheus registry every feature registers its metrics in, served at
 * /metrics. One registry per app instance (tests build several side by side).
 */
export class MetricsRegistry extends Context.Service<MetricsRegistry, {
  readonly registry: Prom.Registry
}>()("@marketgate/server/Observability/MetricsRegistry") {
  /** With prom-client's process metrics: event-loop lag, heap, GC, CPU, handles. */
  static readonly layer = Layer.effect(
    MetricsRegistry,
    Effect.sync(() => {
      const registry = new Prom.Registry()
      Prom.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 })
      return MetricsRegistry.of({ registry })
    })
  )

  /** A bare registry, for tests that build many instances. */
  static readonly layerTest = Layer.effect(
    MetricsRegistry,
    Effect.sync(() => MetricsRegistry.of({ registry: new Prom.Registry() }))
  )
}
