import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // Browser sessions, by the SHA-256 of the session cookie. Redis caches them
  // (session:{id}); this table is the record, so a session outlives a Redis
  // outage and the embedded default (no Redis) has sessions at all. The CSRF
  // token is derived from the id (a keyed hash), so it is not stored.
  yield* sql`
    CREATE TABLE sessions (
      id         text PRIMARY KEY,
      user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      ip_address inet,
      user_agent text
    )`
  // Disabling a user ends their sessions.
  yield* sql`CREATE INDEX sessions_user_idx ON sessions (user_id)`
  // Expired sessions are purged.
  yield* sql`CREATE INDEX sessions_expires_idx ON sessions (expires_at)`
})
