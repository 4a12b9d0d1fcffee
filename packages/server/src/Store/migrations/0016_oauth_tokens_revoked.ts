import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // Revoked tokens by when they were revoked: every instance reads the latest
  // ones twice a second, so a revocation reaches it even when the Redis bus
  // missed it (Redis down or unreachable), and loads those of the last token
  // lifetime at start (a restarted Redis may still hold their token:{hash}).
  yield* sql`CREATE INDEX oauth_tokens_revoked_at_idx ON oauth_tokens (revoked_at) WHERE revoked`
})
