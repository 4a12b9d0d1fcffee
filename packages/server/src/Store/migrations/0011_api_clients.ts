import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // Programs using OAuth 2.0 client credentials. A secret is 256 random bits,
  // so a keyed hash (HMAC-SHA256) of it is all that is stored.
  yield* sql`
    CREATE TABLE api_clients (
      client_id   text PRIMARY KEY,
      name        text NOT NULL,
      role        text NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
      secret_hash text NOT NULL,
      rate_limit  integer CHECK (rate_limit > 0),
      created_by  text NOT NULL,
      created_at  timestamptz NOT NULL,
      rotated_at  timestamptz,
      revoked_at  timestamptz
    )`
})
