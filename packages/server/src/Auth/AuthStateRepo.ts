import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import type { StoreError } from "../Store/StoreError.ts"
import { storeCall } from "../Store/StoreMetrics.ts"

/** The `auth_state` table: named values every instance shares (a key, the setup token's hash). */
export class AuthStateRepo extends Context.Service<AuthStateRepo, {
  /** The value unless it expired by `now`. */
  readonly get: (name: string, now: number) => Effect.Effect<string | undefined, StoreError>
  /** Stores the value unless a live one exists; answers the value that holds (ours or the other instance's). */
  readonly putIfAbsent: (name: string, value: string, expiresAt: number | null, now: number) => Effect.Effect<string, StoreError>
  readonly remove: (name: string) => Effect.Effect<boolean, StoreError>
}>()("@marketgate/server/Auth/AuthStateRepo") {
  static readonly layer = Layer.effect(
    AuthStateRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const at = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())
      return AuthStateRepo.of({
        get: (name, now) =>
          sql<{ value: string }>`SELECT value FROM auth_state WHERE name = ${name} AND (expires_at IS NULL OR expires_at > ${at(now)})`.pipe(
            Effect.map((rows) => rows[0]?.value),
            storeCall("authState.get")
          ),
        putIfAbsent: (name, value, expiresAt, now) =>
          sql<{ value: string }>`
            INSERT INTO auth_state (name, value, expires_at) VALUES (${name}, ${value}, ${at(expiresAt)})
            ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at
              WHERE auth_state.expires_at IS NOT NULL AND auth_state.expires_at <= ${at(now)}
            RETURNING value`.pipe(
            Effect.flatMap((rows) =>
              rows[0] !== undefined
                ? Effect.succeed(rows[0].value)
                : sql<{ value: string }>`SELECT value FROM auth_state WHERE name = ${name}`.pipe(Effect.map((again) => again[0]?.value ?? value))
            ),
            storeCall("authState.putIfAbsent")
          ),
        remove: (name) =>
          sql<{ name: string }>`DELETE FROM auth_state WHERE name = ${name} RETURNING name`.pipe(
            Effect.map((rows) => rows.length === 1),
            storeCall("authState.remove")
          )
      })
    })
  )
}
