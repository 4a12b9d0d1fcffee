import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // One row per job run (scheduled sync, backfill, integrity check …): what it
  // was asked, what it did, and how it ended. Stored bars point back to it.
  yield* sql`
    CREATE TABLE ingest_runs (
      id          bigserial PRIMARY KEY,
      kind        text NOT NULL,
      trigger     text NOT NULL,
      status      text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
      started_at  timestamptz NOT NULL,
      finished_at timestamptz,
      params      jsonb NOT NULL DEFAULT '{}',
      counts      jsonb NOT NULL DEFAULT '{}',
      error       text,
      instance    text NOT NULL
    )`
  // GET /v1/admin/jobs lists the latest runs, optionally of one kind.
  yield* sql`CREATE INDEX ingest_runs_kind_started_idx ON ingest_runs (kind, started_at DESC)`
  yield* sql`CREATE INDEX ingest_runs_started_idx ON ingest_runs (started_at DESC)`
})
