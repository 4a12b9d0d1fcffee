import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // People who log in (issue 11). Usernames and emails are stored lower-cased.
  // Only an Argon2id PHC string is kept of a password, only hashes of recovery
  // codes; the TOTP secret is needed in clear to compute codes.
  yield* sql`
    CREATE TABLE users (
      id             bigserial PRIMARY KEY,
      username       text NOT NULL,
      email          text,
      role           text NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
      password_hash  text NOT NULL,
      disabled       boolean NOT NULL DEFAULT false,
      totp_secret    text,
      totp_pending   text,
      totp_last_step bigint NOT NULL DEFAULT 0,
      recovery_codes text[] NOT NULL DEFAULT '{}',
      created_at     timestamptz NOT NULL,
      updated_at     timestamptz NOT NULL,
      last_login_at  timestamptz
    )`
  // Login by username or email; both unique (the arbiters of the insert).
  yield* sql`CREATE UNIQUE INDEX users_username_idx ON users (username)`
  yield* sql`CREATE UNIQUE INDEX users_email_idx ON users (email)`
  // GET /v1/admin/users and `cli users list`: newest first, keyset on (created_at, id).
  yield* sql`CREATE INDEX users_created_at_idx ON users (created_at DESC, id DESC)`
})
