import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE instruments (
      symbol        text PRIMARY KEY,
      code          text NOT NULL,
      exchange      text NOT NULL CHECK (exchange IN ('SH', 'SZ', 'US')),
      market        text NOT NULL CHECK (market IN ('CN', 'US')),
      name          text NOT NULL,
      board         text NOT NULL,
      currency      text NOT NULL,
      lot_size      integer NOT NULL CHECK (lot_size > 0),
      listed_date   date NOT NULL,
      delisted_date date,
      source        text NOT NULL,
      updated_at    timestamptz NOT NULL DEFAULT now()
    )`
  // Listing by market (GET /v1/instruments?market=CN) walks this index in symbol order.
  yield* sql`CREATE INDEX instruments_market_symbol_idx ON instruments (market, symbol)`
})
