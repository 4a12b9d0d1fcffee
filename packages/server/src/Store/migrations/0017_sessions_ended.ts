import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // A session ended (logout, user disabled) keeps its row until it would have
  // expired, marked ended: every instance reads the latest ends twice a
  // second, so an end reaches it even when the Redis bus missed it, and a
  // Redis that comes back with the session's old session:{id} copy cannot
  // revive it. The purge of expired sessions deletes the rows.
  yield* sql`ALTER TABLE sessions ADD COLUMN ended_at timestamptz`
  yield* sql`CREATE INDEX sessions_ended_at_idx ON sessions (ended_at) WHERE ended_at IS NOT NULL`
})
