import { Schema } from "effect"

/** Facts about how this request was answered, reported with every `/v1` answer. */
export const Performance = Schema.Struct({
  latency_ms: Schema.Finite.annotate({ description: "server time spent on this request" }),
  trace_id: Schema.String.annotate({ description: "W3C trace id of this request (find it in Tempo)" }),
  cache_hit: Schema.Boolean.annotate({ description: "true when every piece of data came from cache" })
}).annotate({ identifier: "Performance" })
export type Performance = typeof Performance.Type

/**
 * Every JSON answer under /v1: `code` 0 and `msg` "ok" on success; on error
 * `code` is the HTTP status, `data` null and `msg` says what to change.
 */
export const Envelope = <S extends Schema.Top>(data: S) =>
  Schema.Struct({
    code: Schema.Int,
    data,
    msg: Schema.String,
    performance: Performance
  })

export const ErrorEnvelope = Schema.Struct({
  code: Schema.Int.annotate({ description: "the HTTP status" }),
  data: Schema.Null,
  msg: Schema.String.annotate({ description: "what went wrong and what to change" }),
  details: Schema.optionalKey(Schema.Array(Schema.Struct({ path: Schema.String, message: Schema.String }))),
  performance: Performance
}).annotate({ identifier: "ErrorEnvelope" })
export type ErrorEnvelope = typeof ErrorEnvelope.Type
