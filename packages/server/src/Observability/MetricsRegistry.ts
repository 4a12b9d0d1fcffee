import { Context, Effect, Layer } from "effect"
import * as Fs from "node:fs"
import * as Prom from "prom-client"

/** The cgroup's memory limit (v2, else v1) in bytes; 0 when there is none. Read once: it does not change. */
const containerMemoryLimit = (): number => {
  for (const file of ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]) {
    try {
      const text = Fs.readFileSync(file, "utf8").trim()
      const bytes = Number(text)
      // v1 reports "no limit" as a huge number near 2^63.
      return text === "max" || !Number.isFinite(bytes) || bytes > 2 ** 60 ? 0 : bytes
    } catch {
      // Not this cgroup version (or not Linux): try the next.
    }
  }
  return 0
}

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
      const limit = containerMemoryLimit()
      new Prom.Gauge({
        name: "marketgate_memory_limit_bytes",
        help: "Memory limit of the container (cgroup), 0 when unlimited: HighMemoryUsage compares RSS with it",
        registers: [registry],
        collect() {
          this.set(limit)
        }
      })
      return MetricsRegistry.of({ registry })
    })
  )

  /** A bare registry, for tests that build many instances. */
  static readonly layerTest = Layer.effect(
    MetricsRegistry,
    Effect.sync(() => MetricsRegistry.of({ registry: new Prom.Registry() }))
  )
}
