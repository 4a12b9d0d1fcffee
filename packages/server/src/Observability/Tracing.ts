import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from "@opentelemetry/sdk-trace-base"
import { Config, Effect, Layer, Option, Schema } from "effect"

/** A sampling ratio: 0 keeps no new trace, 1 keeps every one. */
const Ratio = Schema.NumberFromString.pipe(
  Schema.decodeTo(
    Schema.Finite.check(Schema.makeFilter((n: number) => (n >= 0 && n <= 1) || "OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1"))
  )
)

export interface TracingOptions {
  /** OTLP/HTTP base URL: spans go to `<endpoint>/v1/traces`. */
  readonly endpoint: string
  /** Share of new traces kept; a request that arrives with a sampled `traceparent` follows its caller. */
  readonly ratio: number
  readonly serviceName: string
}

/**
 * OpenTelemetry tracing: every Effect span (request, cache tiers, store
 * queries, provider calls, jobs) exported over OTLP/HTTP to Tempo or any
 * collector, batched, flushed on shutdown. Incoming W3C `traceparent` headers
 * continue the caller's trace; provider calls carry it on.
 */
export const layer = (options: TracingOptions) =>
  NodeSdk.layer(() => ({
    resource: { serviceName: options.serviceName, serviceVersion: "0.1.0" },
    spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/+$/, "")}/v1/traces` })),
    tracerConfig: { sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.ratio) }) },
    shutdownTimeout: "5 seconds"
  }))

/**
 * `OTEL_EXPORTER_OTLP_ENDPOINT` set: tracing on, sampled at
 * `OTEL_TRACES_SAMPLER_ARG` (default 1), as `OTEL_SERVICE_NAME` (default
 * marketgate). Unset: no exporter runs; spans still give each answer its
 * trace id.
 */
export const layerConfig = Layer.unwrap(
  Effect.gen(function*() {
    const endpoint = yield* Config.option(Config.String("OTEL_EXPORTER_OTLP_ENDPOINT"))
    if (Option.isNone(endpoint) || endpoint.value.trim().length === 0) return Layer.empty
    const ratio = yield* Config.schema(Ratio, "OTEL_TRACES_SAMPLER_ARG").pipe(Config.withDefault(1))
    const serviceName = yield* Config.String("OTEL_SERVICE_NAME").pipe(Config.withDefault("marketgate"))
    yield* Effect.logInfo("exporting traces over OTLP/HTTP").pipe(
      Effect.annotateLogs({ endpoint: endpoint.value, sample_ratio: ratio, service_name: serviceName })
    )
    return layer({ endpoint: endpoint.value.trim(), ratio, serviceName })
  })
)
