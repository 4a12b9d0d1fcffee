import { Schema } from "effect"
import { Market } from "./Symbol.ts"

/** One upstream provider as the router sees it (GET /v1/sources). */
export const SourceHealth = Schema.Struct({
  name: Schema.String,
  priority: Schema.Int.annotate({ description: "1 = first in SOURCES" }),
  tier: Schema.Literals(["free", "paid"]),
  cost: Schema.Finite.annotate({ description: "relative cost per call; the router prefers cheaper providers" }),
  operations: Schema.Array(Schema.String),
  markets: Schema.Array(Market),
  breaker: Schema.Struct({
    state: Schema.Literals(["closed", "half_open", "open"]),
    consecutive_failures: Schema.Int,
    retry_after_ms: Schema.NullOr(Schema.Finite).annotate({ description: "while open: time until a probe is let through" })
  }),
  latency_ewma_ms: Schema.NullOr(Schema.Finite).annotate({ description: "moving average of successful calls" }),
  error_rate: Schema.Finite.annotate({ description: "share of failed calls among the last 50" }),
  calls: Schema.Struct({ success: Schema.Int, failure: Schema.Int, rejected: Schema.Int }),
  rate_limit: Schema.Struct({
    per_second: Schema.Finite.annotate({ description: "current adaptive rate (halved on 429, regrown on success)" }),
    max_per_second: Schema.Finite,
    paused_until: Schema.NullOr(Schema.String).annotate({ description: "the provider asked us to wait until then" }),
    throttled: Schema.Int.annotate({ description: "429 answers received" })
  })
}).annotate({ identifier: "SourceHealth" })
export type SourceHealth = typeof SourceHealth.Type

export const SourceList = Schema.Struct({ sources: Schema.Array(SourceHealth) }).annotate({ identifier: "SourceList" })
