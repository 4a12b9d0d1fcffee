import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // Each person's watchlist (issue 12): the symbols they follow, in their
  // order. No foreign key to instruments: a delisted symbol stays on the list
  // until its owner removes it. Removing a user removes their list.
  yield* sql`
    CREATE TABLE watchlist_items (
      user_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      symbol   text NOT NULL,
      position integer NOT NULL,
      added_at timestamptz NOT NULL,
      PRIMARY KEY (user_id, symbol)
    )`
  // The primary key serves every query (all by user_id, the list is at most
  // 100 rows, sorted by position in memory of the executor): no other index.
})
