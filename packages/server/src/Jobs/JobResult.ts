/** What a run did, by name: stored in `ingest_runs.counts`, shown by /v1/admin/jobs, logged as fields. */
export type Counts = Record<string, number>

/**
 * What a job's body answers: what it did, and whether it did all of its job.
 * `Incomplete` (some symbols or sources left unfilled) records the run as
 * failed, so it alerts, with `reason` as its error; what it did is kept and a
 * rerun retries the rest.
 */
export type JobResult =
  | { readonly _tag: "Complete"; readonly counts: Counts }
  | { readonly _tag: "Incomplete"; readonly counts: Counts; readonly reason: string }

export const complete = (counts: Counts): JobResult => ({ _tag: "Complete", counts })

export const incomplete = (counts: Counts, reason: string): JobResult => ({ _tag: "Incomplete", counts, reason })

/** The result of a job that fills symbols: incomplete when `failed` of them could not be filled. */
export const ofSymbols = (counts: Counts & { readonly failed: number; readonly symbols?: number | undefined }): JobResult =>
  counts.failed > 0
    ? incomplete(
      counts,
      `${counts.failed}${counts.symbols === undefined ? "" : ` of ${counts.symbols}`} symbols could not be filled (see the warnings of this run); a rerun retries them`
    )
    : complete(counts)
