import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // Named values the instances share: the key of the keyed hashes (client
  // secrets, device cookies), made once at first start, and the hash of the
  // one-time setup token while no admin exists.
  yield* sql`
    CREATE TABLE auth_state (
      name       text PRIMARY KEY,
      value      text NOT NULL,
      expires_at timestamptz
    )`
})
