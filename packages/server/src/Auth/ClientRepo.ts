import type { Role } from "@marketgate/domain/Auth"
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import type { StoreError } from "../Store/StoreError.ts"
import { storeCall } from "../Store/StoreMetrics.ts"

export interface ClientRecord {
  readonly clientId: string
  readonly name: string
  readonly role: Role
  readonly secretHash: string
  readonly rateLimit: number | null
  readonly createdBy: string
  readonly createdAt: string
  readonly rotatedAt: string | null
  readonly revokedAt: string | null
}

const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

/** The `api_clients` table: programs with client credentials. */
export class ClientRepo extends Context.Service<ClientRepo, {
  readonly insert: (client: Omit<ClientRecord, "createdAt" | "rotatedAt" | "revokedAt">, now: number) => Effect.Effect<ClientRecord, StoreError>
  readonly byId: (clientId: string) => Effect.Effect<ClientRecord | undefined, StoreError>
  /** Oldest first. */
  readonly list: Effect.Effect<ReadonlyArray<ClientRecord>, StoreError>
  /** A new secret hash for a live client; undefined when there is no such live client. */
  readonly rotate: (clientId: string, secretHash: string, now: number) => Effect.Effect<ClientRecord | undefined, StoreError>
  readonly revoke: (clientId: string, now: number) => Effect.Effect<ClientRecord | undefined, StoreError>
}>()("@marketgate/server/Auth/ClientRepo") {
  static readonly layer = Layer.effect(
    ClientRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const columns = sql.literal(
        `client_id AS "clientId", name, role, secret_hash AS "secretHash", rate_limit AS "rateLimit", created_by AS "createdBy",
         ${iso("created_at")} AS "createdAt", ${iso("rotated_at")} AS "rotatedAt", ${iso("revoked_at")} AS "revokedAt"`
      )
      const at = (now: number) => new Date(now).toISOString()
      return ClientRepo.of({
        insert: (c, now) =>
          sql<ClientRecord>`
            INSERT INTO api_clients (client_id, name, role, secret_hash, rate_limit, created_by, created_at)
            VALUES (${c.clientId}, ${c.name}, ${c.role}, ${c.secretHash}, ${c.rateLimit}, ${c.createdBy}, ${at(now)})
            RETURNING ${columns}`.pipe(Effect.map((rows) => rows[0]!), storeCall("clients.insert")),
        byId: (clientId) =>
          sql<ClientRecord>`SELECT ${columns} FROM api_clients WHERE client_id = ${clientId}`.pipe(Effect.map((rows) => rows[0]), storeCall("clients.byId")),
        list: sql<ClientRecord>`SELECT ${columns} FROM api_clients ORDER BY created_at, client_id`.pipe(storeCall("clients.list")),
        rotate: (clientId, secretHash, now) =>
          sql<ClientRecord>`
            UPDATE api_clients SET secret_hash = ${secretHash}, rotated_at = ${at(now)}
            WHERE client_id = ${clientId} AND revoked_at IS NULL RETURNING ${columns}`.pipe(Effect.map((rows) => rows[0]), storeCall("clients.rotate")),
        revoke: (clientId, now) =>
          sql<ClientRecord>`
            UPDATE api_clients SET revoked_at = coalesce(revoked_at, ${at(now)}::timestamptz)
            WHERE client_id = ${clientId} RETURNING ${columns}`.pipe(Effect.map((rows) => rows[0]), storeCall("clients.revoke"))
      })
    })
  )
}
