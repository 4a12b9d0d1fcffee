import { Context, Effect, Layer } from "effect"
import * as Prom from "prom-client"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"

/** `ingest_bars_total{source,kind}`: bars fetched from providers and written to the store, daily and intraday. */
export class IngestMetrics extends Context.Service<IngestMetrics, {
  readonly bars: Prom.Counter<"source" | "kind">
}>()("@marketgate/server/MarketData/IngestMetrics") {
  static readonly layer = Layer.effect(
    IngestMetrics,
    Effect.gen(function*() {
      const { registry } = yield* MetricsRegistry
      return IngestMetrics.of({
        bars: new Prom.Counter({
          name: "ingest_bars_total",
          help: "Bars fetched from a provider and written to the store",
          labelNames: ["source", "kind"],
          registers: [registry]
        })
      })
    })
  )
}
