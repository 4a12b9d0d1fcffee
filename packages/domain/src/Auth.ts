import { Schema } from "effect"

/**
 * Accounts and access: people log in (session cookie), programs use OAuth 2.0
 * client-credentials tokens. Roles nest: an analyst may do all a viewer may,
 * an admin all an analyst may.
 */
export const Role = Schema.Literals(["viewer", "analyst", "admin"]).annotate({
  description: "viewer: market data; analyst: also batch bars and lineage; admin: also operator endpoints, users, clients and the audit log"
})
export type Role = typeof Role.Type

export const roles: ReadonlyArray<Role> = Role.literals

const rank: Record<Role, number> = { viewer: 0, analyst: 1, admin: 2 }

/** True when `held` includes what `needed` allows. */
export const roleAllows = (held: Role, needed: Role): boolean => rank[held] >= rank[needed]

const text = (name: string, min: number, max: number) =>
  Schema.String.check(
    Schema.makeFilter((s: string) =>
      (s.length >= min && s.length <= max) || `${name} must be ${min === max ? min : `${min} to ${max}`} characters long, got ${s.length}`
    )
  )

/** 3–64 characters: letters, digits, `.`, `_`, `-`; compared without regard to case. */
export const Username = Schema.String.check(
  Schema.makeFilter((s: string) =>
    /^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/.test(s) ||
    "username must be 3 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit"
  )
)

/** A new password: long rather than complicated (NIST SP 800-63B). */
export const MIN_PASSWORD_LENGTH = 12
export const MAX_PASSWORD_LENGTH = 1024
export const NewPassword = text("password", MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH)

export const Email = Schema.String.check(
  Schema.makeFilter((s: string) => (s.length <= 254 && /^[^\s@]+@[^\s@]+$/.test(s)) || "email must be an address such as ops@example.com")
)

/** Only lengths are checked at login: a malformed name is simply a wrong one (same answer, same time). */
export const LoginRequest = Schema.Struct({
  username: text("username", 1, 128),
  password: text("password", 1, MAX_PASSWORD_LENGTH),
  totp: Schema.optionalKey(
    text("totp", 1, 64).annotate({ description: "the 6-digit code of the authenticator app, or a recovery code, when two-step verification is on" })
  )
}).annotate({ identifier: "LoginRequest" })

export const Principal = Schema.Struct({
  kind: Schema.Literals(["user", "client", "anonymous"]),
  id: Schema.NullOr(Schema.String).annotate({ description: "user id or client_id; null for anonymous" }),
  name: Schema.String.annotate({ description: "username, client name, or 'anonymous'" }),
  role: Role,
  mfa_enabled: Schema.optionalKey(Schema.Boolean),
  csrf_token: Schema.optionalKey(
    Schema.String.annotate({ description: "send it as X-CSRF-Token on POST/PUT/PATCH/DELETE made with the session cookie (docs/security.md)" })
  ),
  session_expires_at: Schema.optionalKey(Schema.String)
}).annotate({ identifier: "Principal" })
export type Principal = typeof Principal.Type

export const LoginAnswer = Schema.Struct({
  status: Schema.Literals(["ok", "mfa_required"]).annotate({
    description: "mfa_required: the password was right but the account uses two-step verification; send it again with totp"
  }),
  principal: Schema.optionalKey(Principal)
}).annotate({ identifier: "LoginAnswer" })
export type LoginAnswer = typeof LoginAnswer.Type

export const LoggedOut = Schema.Struct({ status: Schema.Literal("logged_out") }).annotate({ identifier: "LoggedOut" })

export const SetupRequest = Schema.Struct({
  setup_token: text("setup_token", 1, 256).annotate({ description: "the one-time token printed at first start" }),
  username: Username,
  password: NewPassword,
  email: Schema.optionalKey(Email)
}).annotate({ identifier: "SetupRequest" })

export const MfaEnrolment = Schema.Struct({
  secret: Schema.String.annotate({ description: "base32 TOTP secret, for apps that cannot scan the URI" }),
  otpauth_uri: Schema.String.annotate({ description: "otpauth://totp/… for a QR code" })
}).annotate({ identifier: "MfaEnrolment" })

export const TotpCode = Schema.Struct({
  code: Schema.String.check(Schema.makeFilter((s: string) => /^\d{6}$/.test(s) || "code must be the 6 digits the authenticator app shows"))
}).annotate({ identifier: "TotpCode" })

export const MfaEnabled = Schema.Struct({
  recovery_codes: Schema.Array(Schema.String).annotate({
    description: "each works once in place of a code; shown only now, stored only as hashes"
  })
}).annotate({ identifier: "MfaEnabled" })

export const MfaDisable = Schema.Struct({
  password: text("password", 1, MAX_PASSWORD_LENGTH),
  code: text("code", 1, 64).annotate({ description: "a current code or a recovery code" })
}).annotate({ identifier: "MfaDisable" })

export const MfaDisabled = Schema.Struct({ mfa_enabled: Schema.Literal(false) }).annotate({ identifier: "MfaDisabled" })
