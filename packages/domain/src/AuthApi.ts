import { Context, Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSchema, HttpApiSecurity, OpenApi } from "effect/http-api"
import { ApiClient, AuditPage, ClientList, ClientSecret, CreatedUser, NewClient, NewUser, User, UserPage } from "./Accounts.ts"
import { Conflict, DataUnavailable, InvalidRequest, Unauthorized } from "./ApiErrors.ts"
import {
  LoggedOut,
  LoginAnswer,
  LoginRequest,
  MfaDisable,
  MfaDisabled,
  MfaEnabled,
  MfaEnrolment,
  Principal,
  type Role,
  SetupRequest,
  TotpCode
} from "./Auth.ts"
import { Forbidden, NotFound, TooManyRequests } from "./AuthErrors.ts"
import { Introspection, IntrospectRequest, OAuthError, RevokeRequest, TokenRequest, TokenResponse } from "./OAuth.ts"

/** The name of the session cookie set by POST /v1/auth/login (HttpOnly). */
export const SESSION_COOKIE = "mg_session"
/** The cookie holding the CSRF token (readable by the page's script; docs/security.md). */
export const CSRF_COOKIE = "mg_csrf"
/** The header a cookie-authenticated POST/PUT/PATCH/DELETE must repeat the CSRF token in. */
export const CSRF_HEADER = "x-csrf-token"

/** Who is calling, as the Authentication middleware established it. */
export interface CallerInfo {
  readonly kind: "user" | "client" | "anonymous"
  /** User id or client_id; undefined for anonymous callers. */
  readonly id: string | undefined
  readonly name: string
  readonly role: Role
  readonly via: "bearer" | "session" | "anonymous"
  /** The session's id (a digest of the cookie), for logout. */
  readonly sessionId?: string | undefined
  readonly mfaEnabled?: boolean | undefined
}

export class Caller extends Context.Service<Caller, CallerInfo>()("@marketgate/domain/Caller") {}

/**
 * The least role an endpoint needs, annotated on its group or on the endpoint
 * itself (the endpoint's wins). An endpoint behind Authentication without
 * this annotation needs admin: closed unless said otherwise.
 */
export class RequiredRole extends Context.Service<RequiredRole, Role>()("@marketgate/domain/RequiredRole") {}

const bearer = HttpApiSecurity.bearer.pipe(
  HttpApiSecurity.annotate(OpenApi.Description, "An access token from POST /oauth/token (client credentials)")
)
const session = HttpApiSecurity.apiKey({ key: SESSION_COOKIE, in: "cookie" }).pipe(
  HttpApiSecurity.annotate(
    OpenApi.Description,
    `The session cookie set by POST /v1/auth/login; state-changing requests also need the ${CSRF_HEADER} header (docs/security.md)`
  )
)

/**
 * Every guarded endpoint: a bearer token, or the session cookie; anonymous
 * callers only where the operator allows anonymous reads. Also applies the
 * per-client and per-IP rate limits.
 */
export class Authentication extends HttpApiMiddleware.Service<Authentication, { provides: Caller }>()(
  "@marketgate/domain/Authentication",
  { security: { bearer, session }, error: [Unauthorized, Forbidden, TooManyRequests, DataUnavailable] }
) {}

const limits = [TooManyRequests, InvalidRequest, DataUnavailable]

export class AuthGroup extends HttpApiGroup.make("auth")
  .add(
    HttpApiEndpoint.post("login", "/auth/login", {
      payload: LoginRequest,
      success: LoginAnswer,
      error: [Unauthorized, Forbidden, ...limits]
    }).annotate(OpenApi.Summary, "Log in with username and password (and TOTP): sets the session cookie and the CSRF cookie"),
    HttpApiEndpoint.post("setup", "/auth/setup", {
      payload: SetupRequest,
      success: Principal.pipe(HttpApiSchema.status(201)),
      error: [Unauthorized, Forbidden, Conflict, ...limits]
    }).annotate(OpenApi.Summary, "Create the first admin with the one-time setup token printed at first start"),
    HttpApiEndpoint.post("logout", "/auth/logout", { success: LoggedOut, error: [InvalidRequest, DataUnavailable] })
      .annotate(OpenApi.Summary, "End the session (the cookie is cleared)")
      .middleware(Authentication),
    HttpApiEndpoint.get("me", "/auth/me", { success: Principal })
      .annotate(OpenApi.Summary, "Who is calling, with which role (and the CSRF token of a session)")
      .middleware(Authentication),
    HttpApiEndpoint.post("mfaEnrol", "/auth/mfa/enrol", { success: MfaEnrolment, error: [Unauthorized, Conflict, Forbidden, DataUnavailable] })
      .annotate(OpenApi.Summary, "Start two-step verification: a TOTP secret and its otpauth URI, active once verified")
      .middleware(Authentication),
    HttpApiEndpoint.post("mfaVerify", "/auth/mfa/verify", { payload: TotpCode, success: MfaEnabled, error: [Unauthorized, InvalidRequest, Conflict, Forbidden, DataUnavailable] })
      .annotate(OpenApi.Summary, "Confirm enrolment with a current code: two-step verification is on, recovery codes shown once")
      .middleware(Authentication),
    HttpApiEndpoint.post("mfaDisable", "/auth/mfa/disable", { payload: MfaDisable, success: MfaDisabled, error: [Unauthorized, InvalidRequest, Forbidden, DataUnavailable] })
      .annotate(OpenApi.Summary, "Turn two-step verification off (password and a code needed)")
      .middleware(Authentication)
  )
  // Reached by every signed-in caller; anonymous callers only reach `me`.
  .annotate(RequiredRole, "viewer")
  .prefix("/v1")
{}

const cursor = Schema.optionalKey(
  Schema.String.check(Schema.makeFilter((s: string) => /^[A-Za-z0-9_-]{1,200}$/.test(s) || "cursor must be a next_cursor of an earlier page"))
)
const limit = (max: number) =>
  Schema.optionalKey(
    Schema.NumberFromString.check(
      Schema.makeFilter((n: number) => (Number.isInteger(n) && n >= 1 && n <= max) || `limit must be a whole number from 1 to ${max}`)
    ).annotate({ description: "default 50" })
  )
const idParam = Schema.String.check(Schema.makeFilter((s: string) => /^\d{1,18}$/.test(s) || "id must be a user id (digits)"))
const clientIdParam = Schema.String.check(
  Schema.makeFilter((s: string) => /^mgc_[A-Za-z0-9_-]{8,64}$/.test(s) || "client_id must look like mgc_… (see GET /v1/admin/clients)")
)
const timestamp = (name: string) =>
  Schema.optionalKey(
    Schema.String.check(
      Schema.makeFilter((s: string) => (!Number.isNaN(Date.parse(s)) && /^\d{4}-\d{2}-\d{2}/.test(s)) || `${name} must be an ISO-8601 date or timestamp`)
    )
  )

export class AccountsGroup extends HttpApiGroup.make("accounts")
  .add(
    HttpApiEndpoint.get("listUsers", "/admin/users", { query: { cursor, limit: limit(500) }, success: UserPage, error: [InvalidRequest, DataUnavailable] })
      .annotate(OpenApi.Summary, "Users, newest first"),
    HttpApiEndpoint.post("addUser", "/admin/users", { payload: NewUser, success: CreatedUser.pipe(HttpApiSchema.status(201)), error: [InvalidRequest, Conflict, DataUnavailable] })
      .annotate(OpenApi.Summary, "Add a user (a generated password is returned once when none is given)"),
    HttpApiEndpoint.post("disableUser", "/admin/users/:id/disable", { params: { id: idParam }, success: User, error: [InvalidRequest, NotFound, DataUnavailable] })
      .annotate(OpenApi.Summary, "Disable a user: their sessions end at once"),
    HttpApiEndpoint.post("resetMfa", "/admin/users/:id/reset-mfa", { params: { id: idParam }, success: User, error: [InvalidRequest, NotFound, DataUnavailable] })
      .annotate(OpenApi.Summary, "Turn a user's two-step verification off (lost device)"),
    HttpApiEndpoint.get("listClients", "/admin/clients", { success: ClientList, error: DataUnavailable })
      .annotate(OpenApi.Summary, "API clients (client credentials)"),
    HttpApiEndpoint.post("addClient", "/admin/clients", { payload: NewClient, success: ClientSecret.pipe(HttpApiSchema.status(201)), error: [InvalidRequest, DataUnavailable] })
      .annotate(OpenApi.Summary, "Add an API client: its secret is shown once"),
    HttpApiEndpoint.post("rotateClient", "/admin/clients/:client_id/rotate", { params: { client_id: clientIdParam }, success: ClientSecret, error: [InvalidRequest, NotFound, DataUnavailable] })
      .annotate(OpenApi.Summary, "New secret for a client (the old one stops working; issued tokens stay valid until they expire)"),
    HttpApiEndpoint.post("revokeClient", "/admin/clients/:client_id/revoke", { params: { client_id: clientIdParam }, success: ApiClient, error: [InvalidRequest, NotFound, DataUnavailable] })
      .annotate(OpenApi.Summary, "Revoke a client and every token it holds, on every instance within a second"),
    HttpApiEndpoint.get("audit", "/admin/audit", {
      query: {
        user_id: Schema.optionalKey(idParam),
        client_id: Schema.optionalKey(clientIdParam),
        action: Schema.optionalKey(
          Schema.String.check(Schema.makeFilter((s: string) => /^[a-z_.]{1,64}$/.test(s) || "action must be an action such as login or token.issued"))
        ),
        outcome: Schema.optionalKey(Schema.Literals(["success", "failure"])),
        ip: Schema.optionalKey(
          Schema.String.check(Schema.makeFilter((s: string) => /^[0-9A-Fa-f:.]{2,45}$/.test(s) || "ip must be an IPv4 or IPv6 address"))
        ),
        from: timestamp("from"),
        to: timestamp("to"),
        cursor,
        limit: limit(500)
      },
      success: AuditPage,
      error: [InvalidRequest, DataUnavailable]
    }).annotate(OpenApi.Summary, "The audit log, newest first: logins, tokens, MFA changes, admin actions; filters and a cursor")
  )
  .middleware(Authentication)
  .annotate(RequiredRole, "admin")
  .prefix("/v1")
{}

const form = HttpApiSchema.asFormUrlEncoded()

export class OAuthGroup extends HttpApiGroup.make("oauth", { topLevel: true })
  .add(
    HttpApiEndpoint.post("token", "/oauth/token", {
      payload: TokenRequest.pipe(form),
      success: TokenResponse,
      error: [OAuthError.pipe(HttpApiSchema.status(400)), OAuthError.pipe(HttpApiSchema.status(401)), OAuthError.pipe(HttpApiSchema.status(429))]
    }).annotate(OpenApi.Summary, "Client credentials grant (RFC 6749 §4.4): HTTP Basic or client_id/client_secret in the form"),
    HttpApiEndpoint.post("revoke", "/oauth/revoke", {
      payload: RevokeRequest.pipe(form),
      success: HttpApiSchema.Empty(200),
      error: [OAuthError.pipe(HttpApiSchema.status(400)), OAuthError.pipe(HttpApiSchema.status(401))]
    }).annotate(OpenApi.Summary, "Revoke a token (RFC 7009); refused on every instance within a second"),
    HttpApiEndpoint.post("introspect", "/oauth/introspect", {
      payload: IntrospectRequest.pipe(form),
      success: Introspection,
      error: [OAuthError.pipe(HttpApiSchema.status(400))]
    })
      .annotate(OpenApi.Summary, "Token introspection (RFC 7662), for admins")
      .annotate(RequiredRole, "admin")
      .middleware(Authentication)
  )
{}
