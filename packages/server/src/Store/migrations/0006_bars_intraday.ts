import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // Minute bars, partitioned by month of `ts`: retention drops whole
  // partitions (instant, no bloat) instead of deleting rows. Partitions are
  // created on demand by the repository.
  yield* sql`
    CREATE TABLE bars_intraday (
      symbol        text NOT NULL,
      interval      text NOT NULL,
      ts            timestamptz NOT NULL,
      date          date NOT NULL,
      open          double precision NOT NULL,
      high          double precision NOT NULL,
      low           double precision NOT NULL,
      close         double precision NOT NULL,
      volume        bigint NOT NULL CHECK (volume >= 0),
      amount        double precision NOT NULL,
      source        text NOT NULL,
      fetched_at    timestamptz NOT NULL,
      ingest_run_id bigint,
      PRIMARY KEY (symbol, interval, ts),
      CHECK (low <= open AND low <= close AND open <= high AND close <= high)
    ) PARTITION BY RANGE (ts)`
})
