import { MarketgateApi } from "@marketgate/domain/Api"
import { type Role, roleAllows, roles } from "@marketgate/domain/Auth"
import type { OAuthError } from "@marketgate/domain/OAuth"
import { Clock, Duration, Effect } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { Audit, type RequestOrigin } from "./Audit.ts"
import { AuthMetrics } from "./AuthMetrics.ts"
import { AuthSettings } from "./AuthSettings.ts"
import { originOf } from "./ClientAddress.ts"
import type { ClientRecord } from "./ClientRepo.ts"
import { Clients } from "./Clients.ts"
import { LocalCache } from "./LocalCache.ts"
import { rateHeaders, RateLimits } from "./RateLimits.ts"
import { Tokens } from "./Tokens.ts"

/** RFC 6749 §5.1: token answers are never cached. */
const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" }

const oauthError = (status: number, error: OAuthError["error"], description: string, headers: Record<string, string> = {}) =>
  HttpServerResponse.jsonUnsafe({ error, error_description: description }, { status, headers: { ...NO_STORE, ...headers } })

const BASIC_CHALLENGE = { "www-authenticate": "Basic realm=\"marketgate\", charset=\"UTF-8\"" }

/** A form body, each parameter at most once (RFC 6749 §3.2); a sentence for what is wrong otherwise. */
const readForm = (request: HttpServerRequest.HttpServerRequest) =>
  Effect.gen(function*() {
    const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase()
    if (type !== "application/x-www-form-urlencoded") {
      return { problem: "send the parameters as a form: Content-Type: application/x-www-form-urlencoded" } as const
    }
    const text = yield* request.text.pipe(Effect.orElseSucceed(() => undefined))
    if (text === undefined) return { problem: "the request body could not be read" } as const
    const params = new URLSearchParams(text)
    const form: Record<string, string> = {}
    for (const [key, value] of params) {
      if (key in form) return { problem: `the parameter ${key.slice(0, 40)} is sent more than once` } as const
      form[key] = value
    }
    return { form } as const
  })

type ClientAuth =
  | { readonly _tag: "Credentials"; readonly clientId: string; readonly secret: string; readonly basic: boolean }
  | { readonly _tag: "Problem"; readonly status: 400 | 401; readonly error: OAuthError["error"]; readonly description: string; readonly basic: boolean }

/** RFC 6749 §2.3.1: HTTP Basic (both parts form-urlencoded) or client_id and client_secret in the body; not both. */
const clientAuthOf = (authorization: string | undefined, form: Record<string, string>): ClientAuth => {
  const inBody = form.client_id !== undefined || form.client_secret !== undefined
  if (authorization !== undefined) {
    if (inBody) return { _tag: "Problem", status: 400, error: "invalid_request", description: "authenticate the client one way: HTTP Basic or client_id/client_secret in the form, not both", basic: true }
    const match = /^basic +([A-Za-z0-9+/=]+) *$/i.exec(authorization)
    const decoded = match === null ? undefined : Buffer.from(match[1]!, "base64").toString("utf8")
    const colon = decoded?.indexOf(":") ?? -1
    if (decoded === undefined || colon < 0) {
      return { _tag: "Problem", status: 401, error: "invalid_client", description: "the Authorization header must be Basic base64(client_id:client_secret)", basic: true }
    }
    try {
      const plus = (s: string) => decodeURIComponent(s.replace(/\+/g, " "))
      return { _tag: "Credentials", clientId: plus(decoded.slice(0, colon)), secret: plus(decoded.slice(colon + 1)), basic: true }
    } catch {
      return { _tag: "Problem", status: 401, error: "invalid_client", description: "the Basic credentials are not valid form-urlencoded text", basic: true }
    }
  }
  if (form.client_id === undefined || form.client_secret === undefined) {
    return { _tag: "Problem", status: 401, error: "invalid_client", description: "authenticate the client: HTTP Basic, or client_id and client_secret in the form", basic: false }
  }
  return { _tag: "Credentials", clientId: form.client_id, secret: form.client_secret, basic: false }
}

/** The role a token is asked for: the highest of the scope's roles, each of which the client must hold. */
const grantedRole = (client: ClientRecord, scope: string | undefined): Role | string => {
  if (scope === undefined || scope.trim() === "") return client.role
  const asked = scope.trim().split(/ +/)
  const unknown = asked.find((s) => !(roles as ReadonlyArray<string>).includes(s))
  if (unknown !== undefined) return `unknown scope ${unknown.slice(0, 40)}: use viewer, analyst or admin`
  const denied = asked.find((s) => !roleAllows(client.role, s as Role))
  if (denied !== undefined) return `this client may not have the ${denied} scope (its role is ${client.role})`
  return asked.reduce<Role>((best, s) => (roleAllows(s as Role, best) ? (s as Role) : best), "viewer")
}

/** Addresses that sent wrong client credentials too often are refused for a while (per instance). */
const FAILURES_PER_WINDOW = 30

export const OAuthHttp = HttpApiBuilder.group(
  MarketgateApi,
  "oauth",
  Effect.fn(function*(handlers) {
    const settings = yield* AuthSettings
    const clients = yield* Clients
    const tokens = yield* Tokens
    const limits = yield* RateLimits
    const audit = yield* Audit
    const metrics = yield* AuthMetrics
    const blocked = new LocalCache<true>(100_000)
    const window = settings.login.window

    /** Authenticates the client of a token or revocation request, or answers the RFC 6749 §5.2 error. */
    const authenticate = (request: HttpServerRequest.HttpServerRequest, form: Record<string, string>, origin: RequestOrigin, action: string) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const ip = origin.ipAddress ?? "unknown"
        if (blocked.get(ip, now) !== undefined) {
          metrics.rateLimited("token_endpoint")
          return oauthError(429, "slow_down", "too many failed client authentications from this address; wait a few minutes", { "retry-after": "60" })
        }
        const auth = clientAuthOf(request.headers.authorization, form)
        const client = auth._tag === "Credentials" ? yield* clients.authenticate(auth.clientId, auth.secret).pipe(Effect.orElseSucceed(() => null)) : undefined
        if (client === null) return oauthError(503, "server_error", "client credentials cannot be checked right now; try again shortly")
        if (client !== undefined) return client
        const failures = yield* limits.consume({ key: `oauth:fail:${ip}`, limit: FAILURES_PER_WINDOW, window })
        if (!failures.allowed) blocked.set(ip, true, now + Duration.toMillis(window))
        yield* audit.record({ action, outcome: "failure", actor: auth._tag === "Credentials" ? auth.clientId.slice(0, 80) : "unknown", details: { reason: "client authentication failed" } }, origin)
        metrics.rejected("client_credentials")
        if (auth._tag === "Problem") return oauthError(auth.status, auth.error, auth.description, auth.basic ? BASIC_CHALLENGE : {})
        // RFC 6749 §5.2: invalid_client is 401, with a challenge when the client tried Basic.
        return oauthError(401, "invalid_client", "unknown client, revoked client, or wrong secret", auth.basic ? BASIC_CHALLENGE : {})
      })

    const withForm = (
      request: HttpServerRequest.HttpServerRequest,
      use: (form: Record<string, string>, origin: RequestOrigin) => Effect.Effect<HttpServerResponse.HttpServerResponse>
    ) =>
      Effect.gen(function*() {
        const read = yield* readForm(request)
        if ("problem" in read) return oauthError(400, "invalid_request", read.problem!)
        const origin = originOf(request, settings, yield* Effect.context<never>())
        return yield* use(read.form, origin)
      })

    return handlers
      .handleRaw("token", ({ request }) =>
        withForm(request, (form, origin) =>
          Effect.gen(function*() {
            if (form.grant_type === undefined) return oauthError(400, "invalid_request", "grant_type is missing: send grant_type=client_credentials")
            const client = yield* authenticate(request, form, origin, "token.issued")
            if (HttpServerResponse.isHttpServerResponse(client)) return client
            if (form.grant_type !== "client_credentials") {
              return oauthError(400, "unsupported_grant_type", "this server issues tokens by the client_credentials grant only")
            }
            const role = grantedRole(client, form.scope)
            if (!(roles as ReadonlyArray<string>).includes(role)) return oauthError(400, "invalid_scope", role)
            const quota = yield* limits.consume({ key: `client:${client.clientId}`, limit: client.rateLimit ?? settings.quotas[client.role], window: settings.quotas.window })
            if (!quota.allowed) {
              metrics.rateLimited("client")
              return oauthError(429, "slow_down", `this client is over its rate limit of ${quota.limit} requests per ${Duration.format(settings.quotas.window)}`, rateHeaders(quota))
            }
            const issued = yield* tokens.issue(client, role as Role, role).pipe(Effect.orElseSucceed(() => undefined))
            if (issued === undefined) return oauthError(503, "server_error", "the token could not be stored; try again shortly")
            yield* audit.record({ action: "token.issued", outcome: "success", actor: client.clientId, clientId: client.clientId, details: { scope: role } }, origin)
            return HttpServerResponse.jsonUnsafe(
              { access_token: issued.token, token_type: "Bearer", expires_in: issued.expiresInSeconds, scope: role },
              { headers: { ...NO_STORE, ...rateHeaders(quota) } }
            )
          })))
      .handleRaw("revoke", ({ request }) =>
        withForm(request, (form, origin) =>
          Effect.gen(function*() {
            const client = yield* authenticate(request, form, origin, "token.revoked")
            if (HttpServerResponse.isHttpServerResponse(client)) return client
            if (form.token === undefined || form.token.length === 0) return oauthError(400, "invalid_request", "token is missing: send the access token to revoke as token=…")
            const revoked = yield* tokens.revoke(form.token, client.clientId).pipe(Effect.orElseSucceed(() => undefined))
            if (revoked === undefined) return oauthError(503, "server_error", "the revocation could not be stored; try again shortly")
            if (revoked) yield* audit.record({ action: "token.revoked", outcome: "success", actor: client.clientId, clientId: client.clientId }, origin)
            // RFC 7009 §2.2: 200 whether or not the token was valid, so a caller learns nothing about other tokens.
            return HttpServerResponse.empty({ status: 200, headers: NO_STORE })
          })))
      .handleRaw("introspect", ({ request }) =>
        withForm(request, (form) =>
          Effect.gen(function*() {
            if (form.token === undefined || form.token.length === 0) return oauthError(400, "invalid_request", "token is missing: send the token to introspect as token=…")
            const check = yield* tokens.verify(form.token).pipe(Effect.orElseSucceed(() => undefined))
            if (check === undefined) return oauthError(503, "server_error", "the token cannot be checked right now; try again shortly")
            if (check._tag === "Invalid") return HttpServerResponse.jsonUnsafe({ active: false }, { headers: NO_STORE })
            const t = check.token
            return HttpServerResponse.jsonUnsafe({
              active: true,
              scope: t.scope,
              client_id: t.clientId,
              token_type: "Bearer",
              exp: Math.floor(t.expiresAt / 1000),
              iat: Math.floor(t.issuedAt / 1000),
              sub: t.clientId
            }, { headers: NO_STORE })
          })))
  })
)
