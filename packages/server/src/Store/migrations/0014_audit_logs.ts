import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // Who did what, when, from where: logins, logouts, tokens, MFA changes,
  // admin actions, user and client changes. No foreign keys: the log outlives
  // the users and clients it names.
  yield* sql`
    CREATE TABLE audit_logs (
      id         bigserial PRIMARY KEY,
      created_at timestamptz NOT NULL,
      user_id    bigint,
      client_id  text,
      actor      text NOT NULL,
      action     text NOT NULL,
      outcome    text NOT NULL CHECK (outcome IN ('success', 'failure')),
      target     text,
      ip_address inet,
      user_agent text,
      request_id text,
      trace_id   text,
      details    jsonb NOT NULL DEFAULT '{}'
    )`
  // GET /v1/admin/audit, newest first, keyset on (created_at, id): by user (and action) …
  yield* sql`CREATE INDEX audit_logs_user_action_created_idx ON audit_logs (user_id, action, created_at DESC)`
  // … by client IP …
  yield* sql`CREATE INDEX audit_logs_ip_created_idx ON audit_logs (ip_address, created_at DESC)`
  // … by API client …
  yield* sql`CREATE INDEX audit_logs_client_created_idx ON audit_logs (client_id, created_at DESC)`
  // … and unfiltered.
  yield* sql`CREATE INDEX audit_logs_created_idx ON audit_logs (created_at DESC, id DESC)`
})
