import { Schema } from "effect"
import { DateString, parseIsoDate } from "./CalendarDate.ts"
import { Symbol } from "./Symbol.ts"

export const RunStatus = Schema.Literals(["running", "succeeded", "failed", "interrupted"])

/** One run of a job, as `ingest_runs` records it. */
export const JobRun = Schema.Struct({
  id: Schema.Int,
  kind: Schema.String.annotate({ description: "daily_sync:CN, intraday_refresh:US, backfill, integrity, retention, prewarm:CN …" }),
  trigger: Schema.String.annotate({ description: "schedule, startup, api or cli" }),
  status: RunStatus,
  started_at: Schema.String,
  finished_at: Schema.NullOr(Schema.String),
  params: Schema.Record(Schema.String, Schema.Unknown),
  counts: Schema.Record(Schema.String, Schema.Finite).annotate({ description: "progress so far while running; totals once finished" }),
  error: Schema.NullOr(Schema.String),
  instance: Schema.String.annotate({ description: "host:pid of the instance that ran it" })
}).annotate({ identifier: "JobRun" })
export type JobRun = typeof JobRun.Type

export const ScheduledJob = Schema.Struct({
  name: Schema.String,
  cron: Schema.String,
  time_zone: Schema.String,
  next_run: Schema.String
}).annotate({ identifier: "ScheduledJob" })

export const JobsPage = Schema.Struct({
  runs: Schema.Array(JobRun).annotate({ description: "latest first" }),
  schedule: Schema.Array(ScheduledJob)
}).annotate({ identifier: "JobsPage" })
export type JobsPage = typeof JobsPage.Type

export const MAX_BACKFILL_SYMBOLS = 10_000

/** Earliest date a backfill may start from: before the first exchange session there is nothing to fetch. */
export const BACKFILL_EARLIEST = "1990-01-01"

export const BackfillRequest = Schema.Struct({
  symbols: Schema.optionalKey(
    Schema.Array(Symbol).check(
      Schema.makeFilter((xs: ReadonlyArray<string>) =>
        (xs.length >= 1 && xs.length <= MAX_BACKFILL_SYMBOLS) ||
        `symbols must list 1 to ${MAX_BACKFILL_SYMBOLS} symbols (omit it for every listed instrument), got ${xs.length}`
      )
    ).annotate({ description: "omit for every listed instrument" })
  ),
  from: DateString,
  to: DateString,
  rate_limit: Schema.optionalKey(
    Schema.Finite.check(
      Schema.makeFilter((n: number) => (n > 0 && n <= 10_000) || "rate_limit must be a number of symbols per second above 0, at most 10000")
    ).annotate({ description: "symbols started per second, at most (providers' own limits apply too)" })
  )
}).check(
  Schema.makeFilter((r) =>
    r.from > r.to
      ? "from must not be after to"
      : r.from < BACKFILL_EARLIEST
      ? `from must be ${BACKFILL_EARLIEST} or later`
      : parseIsoDate(r.to)! - parseIsoDate(r.from)! > 40 * 366
      ? "a backfill covers at most 40 years; split it"
      : true
  )
).annotate({ identifier: "BackfillRequest" })
export type BackfillRequest = typeof BackfillRequest.Type

export const BackfillAccepted = Schema.Struct({
  run_id: Schema.Int.annotate({ description: "follow it with GET /v1/admin/jobs" })
}).annotate({ identifier: "BackfillAccepted" })
