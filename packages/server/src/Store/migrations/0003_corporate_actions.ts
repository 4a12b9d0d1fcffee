import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // Splits and dividends as providers report them. `factor` is what the
  // action multiplies the cumulative adjustment factor by from its ex-date on
  // (split n:d → n/d; dividend → prev close / (prev close − amount)), so
  // bars_daily.adj_factor = product of the factors of actions with ex_date ≤ date.
  yield* sql`
    CREATE TABLE corporate_actions (
      symbol      text NOT NULL,
      ex_date     date NOT NULL,
      kind        text NOT NULL CHECK (kind IN ('split', 'dividend')),
      numerator   double precision,
      denominator double precision,
      amount      double precision,
      factor      double precision NOT NULL CHECK (factor > 0),
      source      text NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (symbol, ex_date, kind)
    )`
})
