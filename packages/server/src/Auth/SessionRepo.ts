import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import type { StoreError } from "../Store/StoreError.ts"
import { storeCall } from "../Store/StoreMetrics.ts"

/** A browser session, by the SHA-256 of its cookie. */
export interface SessionRecord {
  readonly id: string
  readonly userId: string
  /** Unix millis. */
  readonly expiresAt: number
}

/** The `sessions` table: the record of every session (Redis caches it). */
export class SessionRepo extends Context.Service<SessionRepo, {
  readonly insert: (
    session: SessionRecord & { readonly ipAddress: string | null; readonly userAgent: string | null },
    now: number
  ) => Effect.Effect<void, StoreError>
  /** The session unless it ended, or expired by `now`. */
  readonly byId: (id: string, now: number) => Effect.Effect<SessionRecord | undefined, StoreError>
  /** Slides the expiry. */
  readonly touch: (id: string, expiresAt: number) => Effect.Effect<void, StoreError>
  /** Ends a session: the row stays, marked ended, until it would have expired (the purge deletes it). */
  readonly remove: (id: string, now: number) => Effect.Effect<void, StoreError>
  /** Ends every session of a user; answers their ids. */
  readonly removeForUser: (userId: string, now: number) => Effect.Effect<ReadonlyArray<string>, StoreError>
  /** Sessions ended after `after` (millis) that had not expired by `now`: what every instance's tombstones are filled from. */
  readonly endedAfter: (after: number, now: number) => Effect.Effect<ReadonlyArray<{ readonly id: string; readonly expiresAt: number; readonly endedAt: number }>, StoreError>
  readonly purge: (now: number) => Effect.Effect<number, StoreError>
}>()("@marketgate/server/Auth/SessionRepo") {
  static readonly layer = Layer.effect(
    SessionRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const at = (ms: number) => new Date(ms).toISOString()
      return SessionRepo.of({
        insert: (s, now) =>
          sql`
            INSERT INTO sessions (id, user_id, created_at, expires_at, ip_address, user_agent)
            VALUES (${s.id}, ${s.userId}, ${at(now)}, ${at(s.expiresAt)}, ${s.ipAddress}::inet, ${s.userAgent})`.pipe(
            Effect.asVoid,
            storeCall("sessions.insert")
          ),
        byId: (id, now) =>
          sql<SessionRecord>`
            SELECT id, user_id::text AS "userId", (extract(epoch FROM expires_at) * 1000)::float8 AS "expiresAt"
            FROM sessions WHERE id = ${id} AND expires_at > ${at(now)} AND ended_at IS NULL`.pipe(Effect.map((rows) => rows[0]), storeCall("sessions.byId")),
        touch: (id, expiresAt) =>
          sql`UPDATE sessions SET expires_at = ${at(expiresAt)} WHERE id = ${id} AND ended_at IS NULL`.pipe(Effect.asVoid, storeCall("sessions.touch")),
        remove: (id, now) =>
          sql`UPDATE sessions SET ended_at = ${at(now)} WHERE id = ${id} AND ended_at IS NULL`.pipe(Effect.asVoid, storeCall("sessions.remove")),
        removeForUser: (userId, now) =>
          sql<{ id: string }>`UPDATE sessions SET ended_at = ${at(now)} WHERE user_id = ${userId} AND ended_at IS NULL RETURNING id`.pipe(
            Effect.map((rows) => rows.map((r) => r.id)),
            storeCall("sessions.removeForUser")
          ),
        endedAfter: (after, now) =>
          sql<{ id: string; expiresAt: number; endedAt: number }>`
            SELECT id, (extract(epoch FROM expires_at) * 1000)::float8 AS "expiresAt", (extract(epoch FROM ended_at) * 1000)::float8 AS "endedAt"
            FROM sessions WHERE ended_at IS NOT NULL AND ended_at > ${at(after)} AND expires_at > ${at(now)}`.pipe(storeCall("sessions.endedAfter")),
        purge: (now) =>
          sql<{ n: number }>`WITH gone AS (DELETE FROM sessions WHERE expires_at < ${at(now)} RETURNING 1) SELECT count(*)::int AS n FROM gone`.pipe(
            Effect.map((rows) => rows[0]?.n ?? 0),
            storeCall("sessions.purge")
          )
      })
    })
  )
}
