import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // One row per (symbol, session). Prices are unadjusted; adj_factor carries
  // corporate actions so qfq/hfq are computed on read. A suspended session is
  // stored as a flat bar with zero volume, so "the store holds every session"
  // is a plain count.
  yield* sql`
    CREATE TABLE bars_daily (
      symbol        text NOT NULL,
      date          date NOT NULL,
      open          double precision NOT NULL,
      high          double precision NOT NULL,
      low           double precision NOT NULL,
      close         double precision NOT NULL,
      volume        bigint NOT NULL CHECK (volume >= 0),
      amount        double precision NOT NULL CHECK (amount >= 0),
      adj_factor    double precision NOT NULL DEFAULT 1 CHECK (adj_factor > 0),
      suspended     boolean NOT NULL DEFAULT false,
      source        text NOT NULL,
      fetched_at    timestamptz NOT NULL,
      ingest_run_id bigint,
      PRIMARY KEY (symbol, date),
      CHECK (low <= open AND low <= close AND open <= high AND close <= high)
    )`
})
