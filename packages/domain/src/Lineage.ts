import { Schema } from "effect"
import { DateString } from "./CalendarDate.ts"
import { JobRun } from "./Jobs.ts"
import { Symbol } from "./Symbol.ts"

export const QuarantinedVersion = Schema.Struct({
  source: Schema.String,
  rule: Schema.String,
  detail: Schema.String,
  quarantined_at: Schema.String
}).annotate({ identifier: "QuarantinedVersion" })

/** Where a stored daily bar came from, and what it passed. */
export const BarLineage = Schema.Struct({
  symbol: Symbol,
  date: DateString,
  bar: Schema.Struct({
    open: Schema.Finite,
    high: Schema.Finite,
    low: Schema.Finite,
    close: Schema.Finite,
    volume: Schema.Finite,
    amount: Schema.Finite,
    adj_factor: Schema.Finite,
    suspended: Schema.Boolean
  }),
  source: Schema.String.annotate({ description: "the provider that sent it, or `calendar` for a suspension marketgate recorded itself" }),
  fetched_at: Schema.String,
  ingest_run: Schema.NullOr(JobRun).annotate({ description: "the job run that wrote it; null when a request's read-through did" }),
  checks: Schema.Array(Schema.String).annotate({ description: "the quality rules it passed" }),
  quarantined: Schema.Array(QuarantinedVersion).annotate({ description: "other providers' versions of this bar that failed a rule" })
}).annotate({ identifier: "BarLineage" })
export type BarLineage = typeof BarLineage.Type
