import { Schema } from "effect"
import { Quote } from "./Quote.ts"

/**
 * Server-sent events of `GET /v1/stream/quotes`: `quote` when a watched
 * symbol's quote changes (and once per symbol at the start), `heartbeat`
 * while nothing changes, `end` when the server closes the stream (shutdown):
 * reconnect then, to this instance or another.
 */
export const QuoteEvent = Schema.Struct({
  event: Schema.Literal("quote"),
  data: Schema.fromJsonString(Quote)
}).annotate({ identifier: "QuoteEvent" })

export const Heartbeat = Schema.Struct({ ts: Schema.String.annotate({ description: "server time, ISO-8601 UTC" }) })

export const HeartbeatEvent = Schema.Struct({
  event: Schema.Literal("heartbeat"),
  data: Schema.fromJsonString(Heartbeat)
}).annotate({ identifier: "HeartbeatEvent" })

export const StreamEnd = Schema.Struct({ reason: Schema.String })

export const EndEvent = Schema.Struct({
  event: Schema.Literal("end"),
  data: Schema.fromJsonString(StreamEnd)
}).annotate({ identifier: "EndEvent" })

export const QuoteStreamEvent = Schema.Union([QuoteEvent, HeartbeatEvent, EndEvent]).annotate({
  identifier: "QuoteStreamEvent"
})
export type QuoteStreamEvent = typeof QuoteStreamEvent.Type

/** A client already holds as many open streams as it may. */
export class TooManyStreams extends Schema.TaggedError<TooManyStreams>()(
  "TooManyStreams",
  { message: Schema.String },
  { httpApiStatus: 429 }
) {}
