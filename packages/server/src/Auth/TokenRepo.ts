import type { Role } from "@marketgate/domain/Auth"
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import type { StoreError } from "../Store/StoreError.ts"
import { storeCall } from "../Store/StoreMetrics.ts"

/** What a token grants, as stored (and cached) by its hash. */
export interface TokenRecord {
  readonly hash: string
  readonly clientId: string
  readonly role: Role
  readonly scope: string
  /** Unix millis. */
  readonly issuedAt: number
  readonly expiresAt: number
  readonly revoked: boolean
}

/** A token with what its client adds: the name, its own quota, and whether the client was revoked. */
export interface TokenWithClient extends TokenRecord {
  readonly clientName: string
  readonly rateLimit: number | null
  readonly clientRevoked: boolean
}

/** The `oauth_tokens` table, by SHA-256 of the token. */
export class TokenRepo extends Context.Service<TokenRepo, {
  /** Many tokens in one statement (issuance is group-committed). */
  readonly insertMany: (tokens: ReadonlyArray<TokenRecord>) => Effect.Effect<void, StoreError>
  readonly byHash: (hash: string) => Effect.Effect<TokenWithClient | undefined, StoreError>
  /** Revokes a live token of `clientId` (RFC 7009: a client revokes its own); true when one was. */
  readonly revoke: (hash: string, clientId: string, now: number) => Effect.Effect<boolean, StoreError>
  /** Revokes every live token of a client; answers their hashes. */
  readonly revokeClient: (clientId: string, now: number) => Effect.Effect<ReadonlyArray<string>, StoreError>
  /** Hashes of live tokens expiring after `after` (millis): what the Bloom filters are filled from. */
  readonly liveExpiringAfter: (after: number) => Effect.Effect<ReadonlyArray<{ readonly hash: string; readonly expiresAt: number }>, StoreError>
  /** Tokens revoked after `after` (millis) that are not expired at `now`: what the tombstones of every instance are filled from. */
  readonly revokedAfter: (after: number, now: number) => Effect.Effect<ReadonlyArray<{ readonly hash: string; readonly expiresAt: number; readonly revokedAt: number }>, StoreError>
  /** Deletes tokens that expired before `before`; answers how many. */
  readonly purge: (before: number) => Effect.Effect<number, StoreError>
}>()("@marketgate/server/Auth/TokenRepo") {
  static readonly layer = Layer.effect(
    TokenRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const at = (ms: number) => new Date(ms).toISOString()
      const ms = sql.literal(`(extract(epoch FROM t.created_at) * 1000)::float8 AS "issuedAt", (extract(epoch FROM t.expires_at) * 1000)::float8 AS "expiresAt"`)
      return TokenRepo.of({
        insertMany: (tokens) =>
          tokens.length === 0 ? Effect.void : sql`
            INSERT INTO oauth_tokens (token_hash, client_id, role, scope, created_at, expires_at)
            SELECT * FROM unnest(${tokens.map((t) => t.hash)}::text[], ${tokens.map((t) => t.clientId)}::text[],
                                 ${tokens.map((t) => t.role)}::text[], ${tokens.map((t) => t.scope)}::text[],
                                 ${tokens.map((t) => at(t.issuedAt))}::timestamptz[], ${tokens.map((t) => at(t.expiresAt))}::timestamptz[])`.pipe(
              Effect.asVoid,
              storeCall("tokens.insertMany")
            ),
        byHash: (hash) =>
          sql<TokenWithClient>`
            SELECT t.token_hash AS hash, t.client_id AS "clientId", t.role, t.scope, t.revoked, ${ms},
                   c.name AS "clientName", c.rate_limit AS "rateLimit", c.revoked_at IS NOT NULL AS "clientRevoked"
            FROM oauth_tokens t JOIN api_clients c ON c.client_id = t.client_id WHERE t.token_hash = ${hash}`.pipe(Effect.map((rows) => rows[0]), storeCall("tokens.byHash")),
        revoke: (hash, clientId, now) =>
          sql<{ hash: string }>`
            UPDATE oauth_tokens SET revoked = true, revoked_at = ${at(now)}
            WHERE token_hash = ${hash} AND client_id = ${clientId} AND revoked = false RETURNING token_hash AS hash`.pipe(
            Effect.map((rows) => rows.length === 1),
            storeCall("tokens.revoke")
          ),
        revokeClient: (clientId, now) =>
          sql<{ hash: string }>`
            UPDATE oauth_tokens SET revoked = true, revoked_at = ${at(now)}
            WHERE client_id = ${clientId} AND revoked = false RETURNING token_hash AS hash`.pipe(
            Effect.map((rows) => rows.map((r) => r.hash)),
            storeCall("tokens.revokeClient")
          ),
        liveExpiringAfter: (after) =>
          sql<{ hash: string; expiresAt: number }>`
            SELECT token_hash AS hash, (extract(epoch FROM expires_at) * 1000)::float8 AS "expiresAt"
            FROM oauth_tokens WHERE revoked = false AND expires_at > ${at(after)}`.pipe(storeCall("tokens.liveExpiringAfter")),
        revokedAfter: (after, now) =>
          sql<{ hash: string; expiresAt: number; revokedAt: number }>`
            SELECT token_hash AS hash, (extract(epoch FROM expires_at) * 1000)::float8 AS "expiresAt",
                   (extract(epoch FROM revoked_at) * 1000)::float8 AS "revokedAt"
            FROM oauth_tokens WHERE revoked AND revoked_at > ${at(after)} AND expires_at > ${at(now)}`.pipe(storeCall("tokens.revokedAfter")),
        purge: (before) =>
          sql<{ n: number }>`WITH gone AS (DELETE FROM oauth_tokens WHERE expires_at < ${at(before)} RETURNING 1) SELECT count(*)::int AS n FROM gone`.pipe(
            Effect.map((rows) => rows[0]?.n ?? 0),
            storeCall("tokens.purge")
          )
      })
    })
  )
}
