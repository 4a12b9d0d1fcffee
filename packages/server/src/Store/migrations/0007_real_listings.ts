import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // Indices and ETFs are instruments too; listing sources such as the Nasdaq
  // symbol directory do not state a listing date.
  yield* sql`ALTER TABLE instruments ADD COLUMN kind text NOT NULL DEFAULT 'stock' CHECK (kind IN ('stock', 'etf', 'index'))`
  yield* sql`UPDATE instruments SET kind = 'etf' WHERE board = 'etf'`
  yield* sql`ALTER TABLE instruments ALTER COLUMN listed_date DROP NOT NULL`
  // Facts about the store itself; `world` says whether it holds the simulated
  // demo world or real providers' data, so the two never mix.
  yield* sql`
    CREATE TABLE store_meta (
      key        text PRIMARY KEY,
      value      text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
})
