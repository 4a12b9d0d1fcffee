import type { Role } from "@marketgate/domain/Auth"
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import type { StoreError } from "../Store/StoreError.ts"
import { storeCall } from "../Store/StoreMetrics.ts"

/** A users row as the service needs it (secrets included: never sent to a caller as is). */
export interface UserRecord {
  readonly id: string
  readonly username: string
  readonly email: string | null
  readonly role: Role
  readonly passwordHash: string
  readonly disabled: boolean
  readonly totpSecret: string | null
  readonly totpPending: string | null
  readonly totpLastStep: number
  readonly recoveryCodes: ReadonlyArray<string>
  readonly createdAt: string
  readonly lastLoginAt: string | null
}

export interface NewUserRow {
  readonly username: string
  readonly email: string | null
  readonly role: Role
  readonly passwordHash: string
}

const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

/** The `users` table. Usernames and emails are compared lower-cased. */
export class UserRepo extends Context.Service<UserRepo, {
  /** The new row, or undefined when the username or email is taken. */
  readonly insert: (user: NewUserRow, now: number) => Effect.Effect<UserRecord | undefined, StoreError>
  readonly byId: (id: string) => Effect.Effect<UserRecord | undefined, StoreError>
  /** By username, or by email when `login` holds an `@`. */
  readonly byLogin: (login: string) => Effect.Effect<UserRecord | undefined, StoreError>
  /** Newest first, after the (created_at, id) of `after`. */
  readonly list: (options: { readonly after?: { readonly createdAt: string; readonly id: string } | undefined; readonly limit: number }) => Effect.Effect<ReadonlyArray<UserRecord>, StoreError>
  readonly count: Effect.Effect<number, StoreError>
  /** Every username, for the Bloom filter of known logins. */
  readonly logins: Effect.Effect<ReadonlyArray<string>, StoreError>
  readonly setPasswordHash: (id: string, hash: string, now: number) => Effect.Effect<void, StoreError>
  readonly setDisabled: (id: string, disabled: boolean, now: number) => Effect.Effect<UserRecord | undefined, StoreError>
  readonly setPendingTotp: (id: string, secret: string, now: number) => Effect.Effect<void, StoreError>
  /** Turns the pending secret on, with the first step used and the recovery code hashes; false if nothing was pending. */
  readonly enableTotp: (id: string, step: number, recoveryHashes: ReadonlyArray<string>, now: number) => Effect.Effect<boolean, StoreError>
  /** Records `step` as used; false when it (or a later one) already was: a replay. Atomic across instances. */
  readonly useTotpStep: (id: string, step: number) => Effect.Effect<boolean, StoreError>
  /** Removes one recovery code hash; false when it was not there (already used, or wrong). */
  readonly useRecoveryCode: (id: string, hash: string) => Effect.Effect<boolean, StoreError>
  readonly disableTotp: (id: string, now: number) => Effect.Effect<UserRecord | undefined, StoreError>
  readonly touchLogin: (id: string, now: number) => Effect.Effect<void, StoreError>
}>()("@marketgate/server/Auth/UserRepo") {
  static readonly layer = Layer.effect(
    UserRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      type Row = Omit<UserRecord, "totpLastStep"> & { readonly totpLastStep: string }
      const columns = sql.literal(
        `id::text AS id, username, email, role, password_hash AS "passwordHash", disabled, totp_secret AS "totpSecret",
         totp_pending AS "totpPending", totp_last_step::text AS "totpLastStep", recovery_codes AS "recoveryCodes",
         ${iso("created_at")} AS "createdAt", ${iso("last_login_at")} AS "lastLoginAt"`
      )
      const decode = (row: Row): UserRecord => ({ ...row, totpLastStep: Number(row.totpLastStep) })
      const one = (rows: ReadonlyArray<Row>) => (rows[0] === undefined ? undefined : decode(rows[0]))
      const at = (now: number) => new Date(now).toISOString()

      return UserRepo.of({
        insert: (user, now) =>
          sql<Row>`
            INSERT INTO users (username, email, role, password_hash, created_at, updated_at)
            VALUES (${user.username.toLowerCase()}, ${user.email?.toLowerCase() ?? null}, ${user.role}, ${user.passwordHash}, ${at(now)}, ${at(now)})
            ON CONFLICT DO NOTHING
            RETURNING ${columns}`.pipe(Effect.map(one), storeCall("users.insert")),
        byId: (id) => sql<Row>`SELECT ${columns} FROM users WHERE id = ${id}`.pipe(Effect.map(one), storeCall("users.byId")),
        byLogin: (login) => {
          const key = login.toLowerCase()
          return (key.includes("@")
            ? sql<Row>`SELECT ${columns} FROM users WHERE email = ${key}`
            : sql<Row>`SELECT ${columns} FROM users WHERE username = ${key}`).pipe(Effect.map(one), storeCall("users.byLogin"))
        },
        list: ({ after, limit }) =>
          (after === undefined
            ? sql<Row>`SELECT ${columns} FROM users ORDER BY created_at DESC, id DESC LIMIT ${limit}`
            : sql<Row>`SELECT ${columns} FROM users WHERE (created_at, id) < (${after.createdAt}::timestamptz, ${after.id}::bigint)
                       ORDER BY created_at DESC, id DESC LIMIT ${limit}`).pipe(Effect.map((rows) => rows.map(decode)), storeCall("users.list")),
        count: sql<{ n: number }>`SELECT count(*)::int AS n FROM users`.pipe(Effect.map((rows) => rows[0]?.n ?? 0), storeCall("users.count")),
        logins: sql<{ username: string; email: string | null }>`SELECT username, email FROM users`.pipe(
          Effect.map((rows) => rows.flatMap((r) => (r.email === null ? [r.username] : [r.username, r.email]))),
          storeCall("users.logins")
        ),
        setPasswordHash: (id, hash, now) =>
          sql`UPDATE users SET password_hash = ${hash}, updated_at = ${at(now)} WHERE id = ${id}`.pipe(Effect.asVoid, storeCall("users.setPasswordHash")),
        setDisabled: (id, disabled, now) =>
          sql<Row>`UPDATE users SET disabled = ${disabled}, updated_at = ${at(now)} WHERE id = ${id} RETURNING ${columns}`.pipe(
            Effect.map(one),
            storeCall("users.setDisabled")
          ),
        setPendingTotp: (id, secret, now) =>
          sql`UPDATE users SET totp_pending = ${secret}, updated_at = ${at(now)} WHERE id = ${id}`.pipe(Effect.asVoid, storeCall("users.setPendingTotp")),
        enableTotp: (id, step, hashes, now) =>
          sql<{ id: string }>`
            UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = ${step},
                             recovery_codes = ${[...hashes]}::text[], updated_at = ${at(now)}
            WHERE id = ${id} AND totp_pending IS NOT NULL RETURNING id`.pipe(Effect.map((rows) => rows.length === 1), storeCall("users.enableTotp")),
        useTotpStep: (id, step) =>
          sql<{ id: string }>`UPDATE users SET totp_last_step = ${step} WHERE id = ${id} AND totp_last_step < ${step} RETURNING id`.pipe(
            Effect.map((rows) => rows.length === 1),
            storeCall("users.useTotpStep")
          ),
        useRecoveryCode: (id, hash) =>
          sql<{ id: string }>`
            UPDATE users SET recovery_codes = array_remove(recovery_codes, ${hash})
            WHERE id = ${id} AND ${hash} = ANY (recovery_codes) RETURNING id`.pipe(Effect.map((rows) => rows.length === 1), storeCall("users.useRecoveryCode")),
        disableTotp: (id, now) =>
          sql<Row>`
            UPDATE users SET totp_secret = NULL, totp_pending = NULL, recovery_codes = '{}', updated_at = ${at(now)}
            WHERE id = ${id} RETURNING ${columns}`.pipe(Effect.map(one), storeCall("users.disableTotp")),
        touchLogin: (id, now) =>
          sql`UPDATE users SET last_login_at = ${at(now)} WHERE id = ${id}`.pipe(Effect.asVoid, storeCall("users.touchLogin"))
      })
    })
  )
}
