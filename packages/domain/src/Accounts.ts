import { Schema } from "effect"
import { Email, NewPassword, Role, Username } from "./Auth.ts"

/** What an admin sees of a user: never a hash or a TOTP secret. */
export const User = Schema.Struct({
  id: Schema.String,
  username: Schema.String,
  email: Schema.NullOr(Schema.String),
  role: Role,
  disabled: Schema.Boolean,
  mfa_enabled: Schema.Boolean,
  created_at: Schema.String,
  last_login_at: Schema.NullOr(Schema.String)
}).annotate({ identifier: "User" })
export type User = typeof User.Type

export const UserPage = Schema.Struct({
  users: Schema.Array(User).annotate({ description: "newest first" }),
  next_cursor: Schema.NullOr(Schema.String).annotate({ description: "pass as cursor for the next page; null on the last" })
}).annotate({ identifier: "UserPage" })

export const NewUser = Schema.Struct({
  username: Username,
  role: Role,
  email: Schema.optionalKey(Email),
  password: Schema.optionalKey(NewPassword.annotate({ description: "omit to have one generated and returned once" }))
}).annotate({ identifier: "NewUser" })

export const CreatedUser = Schema.Struct({
  user: User,
  password: Schema.optionalKey(Schema.String.annotate({ description: "the generated password, shown only now" }))
}).annotate({ identifier: "CreatedUser" })

export const ApiClient = Schema.Struct({
  client_id: Schema.String,
  name: Schema.String,
  role: Role,
  rate_limit: Schema.NullOr(Schema.Int).annotate({ description: "requests per rate-limit window; null: the role's quota" }),
  created_at: Schema.String,
  rotated_at: Schema.NullOr(Schema.String),
  revoked_at: Schema.NullOr(Schema.String)
}).annotate({ identifier: "ApiClient" })
export type ApiClient = typeof ApiClient.Type

export const ClientList = Schema.Struct({ clients: Schema.Array(ApiClient) }).annotate({ identifier: "ClientList" })

export const ClientName = Schema.String.check(
  Schema.makeFilter((s: string) => /^[\p{L}\p{N} ._-]{1,64}$/u.test(s) || "name must be 1 to 64 letters, digits, spaces, '.', '_' or '-'")
)

export const NewClient = Schema.Struct({
  name: ClientName,
  role: Role,
  rate_limit: Schema.optionalKey(
    Schema.Int.check(Schema.makeFilter((n: number) => (n >= 1 && n <= 10_000_000) || "rate_limit must be a whole number from 1 to 10000000"))
  )
}).annotate({ identifier: "NewClient" })

export const ClientSecret = Schema.Struct({
  client: ApiClient,
  client_secret: Schema.String.annotate({ description: "shown only now; only a keyed hash of it is stored" })
}).annotate({ identifier: "ClientSecret" })

export const AuditEntry = Schema.Struct({
  id: Schema.String,
  created_at: Schema.String,
  action: Schema.String.annotate({ description: "login, logout, token.issued, token.revoked, mfa.enabled, user.created, admin.backfill …" }),
  outcome: Schema.Literals(["success", "failure"]),
  user_id: Schema.NullOr(Schema.String),
  client_id: Schema.NullOr(Schema.String),
  actor: Schema.String.annotate({ description: "username, client_id or 'anonymous'" }),
  target: Schema.NullOr(Schema.String),
  ip_address: Schema.NullOr(Schema.String),
  user_agent: Schema.NullOr(Schema.String),
  request_id: Schema.NullOr(Schema.String),
  trace_id: Schema.NullOr(Schema.String),
  details: Schema.Record(Schema.String, Schema.Unknown)
}).annotate({ identifier: "AuditEntry" })
export type AuditEntry = typeof AuditEntry.Type

export const AuditPage = Schema.Struct({
  entries: Schema.Array(AuditEntry).annotate({ description: "newest first" }),
  next_cursor: Schema.NullOr(Schema.String).annotate({ description: "pass as cursor for the next page; null on the last" })
}).annotate({ identifier: "AuditPage" })
