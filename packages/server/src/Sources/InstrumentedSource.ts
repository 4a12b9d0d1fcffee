import { Clock, Effect, Layer } from "effect"
import * as Prom from "prom-client"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"
import { MarketDataSource, type SourceError } from "./MarketDataSource.ts"

/** `success`, the provider failure's reason in snake case (`rate_limited` …), or `defect`. */
const outcomeOf = (reasons: ReadonlyArray<{ readonly _tag: string; readonly error?: unknown }>): string => {
  const failure = reasons.find((r) => r._tag === "Fail")?.error as SourceError | undefined
  return failure === undefined ? "defect" : failure.reason.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase()
}

/**
 * Wraps a provider so every call is counted and timed
 * (`datasource_requests_total`, `datasource_request_duration_seconds`) and
 * runs in a span named after the provider and operation.
 */
export const instrumented = <E, R>(
  inner: Layer.Layer<MarketDataSource, E, R>
): Layer.Layer<MarketDataSource, E, R | MetricsRegistry> =>
  Layer.effect(
    MarketDataSource,
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const { registry } = yield* MetricsRegistry
      const labelNames = ["source", "operation", "outcome"] as const
      const requests = new Prom.Counter({
        name: "datasource_requests_total",
        help: "Calls to upstream providers by outcome",
        labelNames,
        registers: [registry]
      })
      const duration = new Prom.Histogram({
        name: "datasource_request_duration_seconds",
        help: "Duration of calls to upstream providers",
        labelNames,
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.3, 0.5, 1, 2, 5, 10],
        registers: [registry]
      })

      const measure = <A>(operation: string, call: Effect.Effect<A, SourceError>) =>
        Effect.gen(function*() {
          const start = yield* Clock.currentTimeNanos
          const exit = yield* Effect.exit(call)
          const seconds = Number((yield* Clock.currentTimeNanos) - start) / 1e9
          const outcome = exit._tag === "Success" ? "success" : outcomeOf(exit.cause.reasons)
          const labels = { source: source.name, operation, outcome }
          requests.inc(labels)
          duration.observe(labels, seconds)
          return yield* exit
        }).pipe(Effect.withSpan(`datasource.${operation}`, { attributes: { "datasource.name": source.name } }))

      return MarketDataSource.of({
        name: source.name,
        instruments: measure("instruments", source.instruments),
        dailyBars: (symbol, from, to) => measure("dailyBars", source.dailyBars(symbol, from, to)),
        intradayBars: (symbol, interval, from, to) =>
          measure("intradayBars", source.intradayBars(symbol, interval, from, to)),
        quotes: (symbols) => measure("quotes", source.quotes(symbols))
      })
    })
  ).pipe(Layer.provide(inner))
