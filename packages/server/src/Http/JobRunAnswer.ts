import type { JobRun } from "@marketgate/domain/Jobs"
import type { IngestRun } from "../Store/IngestRunRepo.ts"

/** A stored job run as the API shows it. */
export const jobRunAnswer = (run: IngestRun): JobRun => ({
  id: run.id,
  kind: run.kind,
  trigger: run.trigger,
  status: run.status,
  started_at: run.startedAt,
  finished_at: run.finishedAt,
  params: run.params,
  counts: run.counts,
  error: run.error,
  instance: run.instance
})
