import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // Provider bars that failed a data-quality rule, kept with the raw payload
  // for an operator to inspect; they are never served.
  yield* sql`
    CREATE TABLE quality_quarantine (
      id             bigserial PRIMARY KEY,
      symbol         text NOT NULL,
      date           date NOT NULL,
      source         text NOT NULL,
      rule           text NOT NULL,
      detail         text NOT NULL,
      payload        jsonb NOT NULL,
      ingest_run_id  bigint REFERENCES ingest_runs (id),
      quarantined_at timestamptz NOT NULL DEFAULT now()
    )`
  // Lineage of one bar looks up the quarantined candidates of its (symbol, date).
  yield* sql`CREATE INDEX quality_quarantine_symbol_date_idx ON quality_quarantine (symbol, date)`
  // The rules each stored bar passed, for GET /v1/lineage.
  yield* sql`ALTER TABLE bars_daily ADD COLUMN checks text[] NOT NULL DEFAULT '{}'`
})
