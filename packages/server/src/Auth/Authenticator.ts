import { DataUnavailable, Unauthorized } from "@marketgate/domain/ApiErrors"
import { type Role, roleAllows } from "@marketgate/domain/Auth"
import { Authentication, Caller, type CallerInfo, CSRF_HEADER, RequiredRole, SESSION_COOKIE } from "@marketgate/domain/AuthApi"
import { Forbidden, TooManyRequests } from "@marketgate/domain/AuthErrors"
import { Context, Duration, Effect, Exit, Layer } from "effect"
import { HttpRouter, HttpServerRequest } from "effect/http"
import type { HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import { RequestFacts } from "../Observability/RequestFacts.ts"
import { Audit } from "./Audit.ts"
import { AuthMetrics, type RateScope } from "./AuthMetrics.ts"
import { AuthSettings } from "./AuthSettings.ts"
import { clientIp, originOf } from "./ClientAddress.ts"
import { digestsEqual, sha256 } from "./Digests.ts"
import { rateHeaders, RateLimits } from "./RateLimits.ts"
import { Sessions } from "./Sessions.ts"
import { Tokens } from "./Tokens.ts"
import { Users } from "./Users.ts"

type Refusal = Unauthorized | Forbidden | TooManyRequests | DataUnavailable

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"])
const unavailable = () =>
  new DataUnavailable({ message: "credentials cannot be checked right now: the account store is unreachable; try again shortly" })
const TOKEN_HELP = "get a new one from POST /oauth/token (client credentials)"

/** Audit actions of the state-changing admin endpoints; any other is `admin.<endpoint>`. */
const adminActions: Readonly<Record<string, string>> = {
  addUser: "user.created",
  disableUser: "user.disabled",
  resetMfa: "mfa.reset",
  addClient: "client.created",
  rotateClient: "client.rotated",
  revokeClient: "client.revoked",
  backfill: "admin.backfill",
  invalidateCache: "admin.cache_invalidated",
  introspect: "token.introspected"
}

interface Identified {
  readonly caller: CallerInfo
  /** The quota key and size this caller counts against. */
  readonly quota: { readonly key: string; readonly limit: number; readonly scope: RateScope }
}

/**
 * The Authentication middleware of every guarded endpoint. Both declared
 * schemes (bearer, session cookie) lead here: the request is judged once —
 * a bearer token if there is an Authorization header, else the session
 * cookie, else anonymous where allowed — then the endpoint's RequiredRole,
 * then the caller's rate limit. A refusal is remembered for the request, so
 * the second scheme's handler answers the same without judging again.
 */
export const layer = Layer.effect(
  Authentication,
  Effect.gen(function*() {
    const settings = yield* AuthSettings
    const tokens = yield* Tokens
    const sessions = yield* Sessions
    const users = yield* Users
    const limits = yield* RateLimits
    const metrics = yield* AuthMetrics
    const audit = yield* Audit
    const quotas = settings.quotas
    const windowText = Duration.format(quotas.window)
    const allowedOrigins = new Set(settings.corsOrigins)

    const roles = new WeakMap<object, Role>()
    const requiredOf = (endpoint: HttpApiEndpoint.Top, group: HttpApiGroup.Top): Role => {
      let role = roles.get(endpoint)
      if (role === undefined) {
        // The endpoint's annotation, else its group's; neither: admin (closed unless said otherwise).
        role = Context.getOrUndefined(endpoint.annotations, RequiredRole) ?? Context.getOrUndefined(group.annotations, RequiredRole) ?? "admin"
        roles.set(endpoint, role)
      }
      return role
    }
    const refusals = new WeakMap<object, Exit.Exit<never, Refusal>>()

    const refuse = (reason: string, error: Refusal) => {
      metrics.rejected(reason)
      return Effect.fail(error)
    }

    /** A cookie-authenticated request that changes state must prove it came from our own page. */
    const csrfProblem = (request: HttpServerRequest.HttpServerRequest, sessionId: string): string | undefined => {
      const source = request.headers.origin ?? request.headers.referer
      if (source !== undefined) {
        let host: string | undefined
        let origin: string | undefined
        try {
          const url = new URL(source)
          host = url.host
          origin = url.origin
        } catch {
          host = undefined
        }
        if (host !== request.headers.host && (origin === undefined || !allowedOrigins.has(origin))) {
          return `requests made with the session cookie must come from this site's own pages (not from ${origin ?? "an unreadable origin"})`
        }
      }
      const sent = request.headers[CSRF_HEADER]
      if (sent === undefined) {
        return "this request uses the session cookie and changes state: send the CSRF token (the mg_csrf cookie) in the X-CSRF-Token header"
      }
      return digestsEqual(sha256(sent), sha256(sessions.csrfFor(sessionId)))
        ? undefined
        : "the X-CSRF-Token header does not match this session: read the token again from the mg_csrf cookie or GET /v1/auth/me"
    }

    const byBearer = (authorization: string): Effect.Effect<Identified, Refusal> => {
      if (authorization.length < 8 || authorization.slice(0, 7).toLowerCase() !== "bearer ") {
        return refuse("scheme", new Unauthorized({ message: `only Bearer tokens are accepted in the Authorization header: ${TOKEN_HELP}` }))
      }
      return tokens.verify(authorization.slice(7).trim()).pipe(
        Effect.mapError(unavailable),
        Effect.flatMap((check) => {
          if (check._tag === "Invalid") {
            const message = check.reason === "expired"
              ? `the access token has expired: ${TOKEN_HELP}`
              : check.reason === "revoked"
              ? `the access token was revoked: ${TOKEN_HELP}`
              : `the access token is not valid: ${TOKEN_HELP}`
            return refuse(`token_${check.reason}`, new Unauthorized({ message }))
          }
          const t = check.token
          return Effect.succeed<Identified>({
            caller: { kind: "client", id: t.clientId, name: t.clientName, role: t.role, via: "bearer" },
            quota: { key: `client:${t.clientId}`, limit: t.rateLimit ?? quotas[t.role], scope: "client" }
          })
        })
      )
    }

    const bySession = (request: HttpServerRequest.HttpServerRequest, cookie: string): Effect.Effect<Identified, Refusal> =>
      sessions.lookup(cookie).pipe(
        Effect.flatMap((session) => (session === undefined ? Effect.succeed(undefined) : Effect.map(users.get(session.userId), (user) => ({ session, user })))),
        Effect.mapError(unavailable),
        Effect.flatMap((found) => {
          if (found === undefined || found.user === undefined) {
            return refuse("session_ended", new Unauthorized({ message: "the session has ended (logged out, or idle too long): log in again with POST /v1/auth/login" }))
          }
          const { session, user } = found
          if (user.disabled) {
            return Effect.andThen(
              Effect.ignore(sessions.end(session.id)),
              refuse("user_disabled", new Unauthorized({ message: "this account is disabled; ask an administrator to enable it" }))
            )
          }
          if (UNSAFE.has(request.method)) {
            const problem = csrfProblem(request, session.id)
            if (problem !== undefined) return refuse("csrf", new Forbidden({ message: problem }))
          }
          return Effect.succeed<Identified>({
            caller: { kind: "user", id: user.id, name: user.username, role: user.role, via: "session", sessionId: session.id, mfaEnabled: user.mfaEnabled },
            quota: { key: `user:${user.id}`, limit: quotas[user.role], scope: "user" }
          })
        })
      )

    const identify = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<Identified, Refusal> => {
      const authorization = request.headers.authorization
      if (authorization !== undefined) return byBearer(authorization)
      const cookie = request.cookies[SESSION_COOKIE]
      if (cookie !== undefined && cookie.length > 0) return bySession(request, cookie)
      if (!settings.anonymousAccess) {
        return refuse("no_credentials", new Unauthorized({
          message: "this endpoint needs credentials: Authorization: Bearer <token from POST /oauth/token>, or the session cookie of POST /v1/auth/login"
        }))
      }
      return Effect.succeed({
        caller: { kind: "anonymous", id: undefined, name: "anonymous", role: "viewer", via: "anonymous" },
        quota: { key: `ip:${clientIp(request, settings)}`, limit: quotas.anonymous, scope: "anonymous" }
      })
    }

    const judge = (request: HttpServerRequest.HttpServerRequest, required: Role, facts: RequestFacts): Effect.Effect<CallerInfo, Refusal> =>
      Effect.flatMap(identify(request), ({ caller, quota }) => {
        if (!roleAllows(caller.role, required)) {
          return caller.kind === "anonymous"
            ? refuse("anonymous", new Unauthorized({ message: `this endpoint needs the ${required} role: sign in with POST /v1/auth/login, or use a bearer token from POST /oauth/token` }))
            : refuse("role", new Forbidden({ message: `the ${caller.role} role does not allow this endpoint; it needs ${required} (ask an administrator)` }))
        }
        return Effect.flatMap(limits.consume({ key: quota.key, limit: quota.limit, window: quotas.window }), (decision) => {
          facts.headers = { ...facts.headers, ...rateHeaders(decision) }
          if (decision.allowed) return Effect.succeed(caller)
          metrics.rateLimited(quota.scope)
          const retry = Math.max(1, Math.ceil(decision.retryAfterMs / 1000))
          const who = quota.scope === "anonymous" ? "this address (anonymous)" : quota.scope === "client" ? "this client" : "this user"
          return Effect.fail(new TooManyRequests({
            message: `rate limit of ${quota.limit} requests per ${windowText} for ${who} exceeded; retry in ${retry} s`,
            retry_after_seconds: retry
          }))
        })
      })

    const run = (
      httpEffect: Effect.Effect<any, any, any>,
      options: { readonly endpoint: HttpApiEndpoint.Top; readonly group: HttpApiGroup.Top }
    ) =>
      Effect.withFiber((fiber) => {
        const request = Context.getUnsafe(fiber.context, HttpServerRequest.HttpServerRequest)
        const refused = refusals.get(request)
        if (refused !== undefined) return refused
        const required = requiredOf(options.endpoint, options.group)
        return judge(request, required, fiber.getRef(RequestFacts)).pipe(
          Effect.tapError((error) => Effect.sync(() => refusals.set(request, Exit.fail(error)))),
          Effect.flatMap((caller) => {
            const handled = Effect.provideService(httpEffect, Caller, caller)
            if (required !== "admin" || !UNSAFE.has(request.method)) return handled
            // Every state-changing admin request is in the audit log, with how it ended.
            const name = options.endpoint.name
            return Effect.onExit(handled, (exit) =>
              audit.record({
                action: adminActions[name] ?? `admin.${name}`,
                outcome: Exit.isSuccess(exit) && exit.value.status < 400 ? "success" : "failure",
                actor: caller.kind === "client" ? caller.id ?? caller.name : caller.name,
                userId: caller.kind === "user" ? caller.id : undefined,
                clientId: caller.kind === "client" ? caller.id : undefined,
                target: Object.values(Context.getUnsafe(fiber.context, HttpRouter.RouteContext).params).join("/") || null,
                details: { method: request.method, route: options.endpoint.path }
              }, originOf(request, settings, fiber.context)))
          })
        )
      })

    return Authentication.of({ bearer: run, session: run })
  })
)
