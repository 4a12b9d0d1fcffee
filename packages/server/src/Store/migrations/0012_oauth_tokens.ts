import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // Issued access tokens, by the SHA-256 of the token (the token itself is
  // never stored). The primary key is the lookup of every uncached request.
  yield* sql`
    CREATE TABLE oauth_tokens (
      token_hash text PRIMARY KEY,
      client_id  text NOT NULL REFERENCES api_clients (client_id),
      role       text NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
      scope      text NOT NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      revoked    boolean NOT NULL DEFAULT false,
      revoked_at timestamptz
    )`
  // Live tokens by expiry: what the Bloom filter of every instance is filled from.
  yield* sql`CREATE INDEX oauth_tokens_live_expires_idx ON oauth_tokens (expires_at) WHERE revoked = false`
  // Revoking a client revokes its live tokens.
  yield* sql`CREATE INDEX oauth_tokens_client_live_idx ON oauth_tokens (client_id) WHERE revoked = false`
})
