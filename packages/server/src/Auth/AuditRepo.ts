import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import type { StoreError } from "../Store/StoreError.ts"
import { storeCall } from "../Store/StoreMetrics.ts"

export interface AuditRow {
  /** Unix millis (stored at millisecond precision, so a cursor of it is exact). */
  readonly createdAt: number
  readonly userId: string | null
  readonly clientId: string | null
  readonly actor: string
  readonly action: string
  readonly outcome: "success" | "failure"
  readonly target: string | null
  readonly ipAddress: string | null
  readonly userAgent: string | null
  readonly requestId: string | null
  readonly traceId: string | null
  readonly details: Readonly<Record<string, unknown>>
}

export interface StoredAuditRow extends Omit<AuditRow, "createdAt"> {
  readonly id: string
  /** ISO-8601, milliseconds. */
  readonly createdAt: string
}

export interface AuditFilter {
  readonly userId?: string | undefined
  readonly clientId?: string | undefined
  readonly action?: string | undefined
  readonly outcome?: "success" | "failure" | undefined
  readonly ip?: string | undefined
  readonly from?: string | undefined
  readonly to?: string | undefined
  /** Entries strictly older than this (created_at, id): the keyset cursor. */
  readonly before?: { readonly createdAt: string; readonly id: string } | undefined
  readonly limit: number
}

const iso = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

/** The `audit_logs` table. */
export class AuditRepo extends Context.Service<AuditRepo, {
  /** Many rows in one statement (the audit writer batches). */
  readonly insertMany: (rows: ReadonlyArray<AuditRow>) => Effect.Effect<void, StoreError>
  /** Newest first. */
  readonly list: (filter: AuditFilter) => Effect.Effect<ReadonlyArray<StoredAuditRow>, StoreError>
}>()("@marketgate/server/Auth/AuditRepo") {
  static readonly layer = Layer.effect(
    AuditRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const columns = sql.literal(
        `id::text AS id, ${iso} AS "createdAt", user_id::text AS "userId", client_id AS "clientId", actor, action, outcome, target,
         host(ip_address) AS "ipAddress", user_agent AS "userAgent", request_id AS "requestId", trace_id AS "traceId", details`
      )
      return AuditRepo.of({
        insertMany: (rows) =>
          rows.length === 0 ? Effect.void : sql`
            INSERT INTO audit_logs (created_at, user_id, client_id, actor, action, outcome, target, ip_address, user_agent, request_id, trace_id, details)
            SELECT "createdAt", "userId", "clientId", actor, action, outcome, target, "ipAddress", "userAgent", "requestId", "traceId", details
            FROM jsonb_to_recordset(${JSON.stringify(rows.map((r) => ({ ...r, createdAt: new Date(r.createdAt).toISOString() })))}::jsonb)
              AS r("createdAt" timestamptz, "userId" bigint, "clientId" text, actor text, action text, outcome text, target text,
                   "ipAddress" inet, "userAgent" text, "requestId" text, "traceId" text, details jsonb)`.pipe(
              Effect.asVoid,
              storeCall("audit.insertMany")
            ),
        list: (f) => {
          const where = [
            ...(f.userId === undefined ? [] : [sql`user_id = ${f.userId}`]),
            ...(f.clientId === undefined ? [] : [sql`client_id = ${f.clientId}`]),
            ...(f.action === undefined ? [] : [sql`action = ${f.action}`]),
            ...(f.outcome === undefined ? [] : [sql`outcome = ${f.outcome}`]),
            ...(f.ip === undefined ? [] : [sql`ip_address = ${f.ip}::inet`]),
            ...(f.from === undefined ? [] : [sql`created_at >= ${f.from}::timestamptz`]),
            ...(f.to === undefined ? [] : [sql`created_at <= ${f.to}::timestamptz`]),
            ...(f.before === undefined ? [] : [sql`(created_at, id) < (${f.before.createdAt}::timestamptz, ${f.before.id}::bigint)`])
          ]
          return sql<StoredAuditRow>`
            SELECT ${columns} FROM audit_logs ${where.length === 0 ? sql.literal("") : sql`WHERE ${sql.and(where)}`}
            ORDER BY created_at DESC, id DESC LIMIT ${f.limit}`.pipe(storeCall("audit.list"))
        }
      })
    })
  )
}
