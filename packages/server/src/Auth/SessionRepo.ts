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
  /** The session unless it expired by `now`. */
  readonly byId: (id: string, now: number) => Effect.Effect<SessionRecord | undefined, StoreError>
  /** Slides the expiry. */
  readonly touch: (id: string, expiresAt: number) => Effect.Effect<void, StoreError>
  readonly remove: (id: string) => Effect.Effect<void, StoreError>
  /** Ends every session of a user; answers their ids. */
  readonly removeForUser: (userId: string) => Effect.Effect<ReadonlyArray<string>, StoreError>
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
            FROM sessions WHERE id = ${id} AND expires_at > ${at(now)}`.pipe(Effect.map((rows) => rows[0]), storeCall("sessions.byId")),
        touch: (id, expiresAt) =>
          sql`UPDATE sessions SET expires_at = ${at(expiresAt)} WHERE id = ${id}`.pipe(Effect.asVoid, storeCall("sessions.touch")),
        remove: (id) => sql`DELETE FROM sessions WHERE id = ${id}`.pipe(Effect.asVoid, storeCall("sessions.remove")),
        removeForUser: (userId) =>
          sql<{ id: string }>`DELETE FROM sessions WHERE user_id = ${userId} RETURNING id`.pipe(
            Effect.map((rows) => rows.map((r) => r.id)),
            storeCall("sessions.removeForUser")
          ),
        purge: (now) =>
          sql<{ n: number }>`WITH gone AS (DELETE FROM sessions WHERE expires_at < ${at(now)} RETURNING 1) SELECT count(*)::int AS n FROM gone`.pipe(
            Effect.map((rows) => rows[0]?.n ?? 0),
            storeCall("sessions.purge")
          )
      })
    })
  )
}
