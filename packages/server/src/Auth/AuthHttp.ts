import { MarketgateApi } from "@marketgate/domain/Api"
import { Conflict, DataUnavailable, InvalidRequest, Unauthorized } from "@marketgate/domain/ApiErrors"
import type { Principal } from "@marketgate/domain/Auth"
import { Caller, type CallerInfo } from "@marketgate/domain/AuthApi"
import { Forbidden, TooManyRequests } from "@marketgate/domain/AuthErrors"
import { Effect, Redacted } from "effect"
import { HttpServerRequest } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import type { StoreError } from "../Store/StoreError.ts"
import { Accounts } from "./Accounts.ts"
import { Audit } from "./Audit.ts"
import { clearedCookies, sessionCookies, setCookies } from "./AuthCookies.ts"
import { AuthSettings } from "./AuthSettings.ts"
import { originOf } from "./ClientAddress.ts"
import { DEVICE_COOKIE } from "./DeviceCookies.ts"
import { Login } from "./Login.ts"
import { Mfa } from "./Mfa.ts"
import { Passwords } from "./Passwords.ts"
import { RateLimits, rateHeaders } from "./RateLimits.ts"
import { RequestFacts } from "../Observability/RequestFacts.ts"
import { Sessions } from "./Sessions.ts"
import { UserRepo } from "./UserRepo.ts"

const unavailable = (_: StoreError) => new DataUnavailable({ message: "accounts are unavailable right now (the store cannot be reached); try again shortly" })

const principalOf = (caller: CallerInfo, extra: Partial<Principal> = {}): Principal => ({
  kind: caller.kind,
  id: caller.id ?? null,
  name: caller.name,
  role: caller.role,
  ...(caller.mfaEnabled === undefined ? {} : { mfa_enabled: caller.mfaEnabled }),
  ...extra
})

/** The request's origin for the audit log, from the handler's own context. */
const currentOrigin = Effect.gen(function*() {
  const settings = yield* AuthSettings
  const request = yield* HttpServerRequest.HttpServerRequest
  const context = yield* Effect.context<never>()
  return originOf(request, settings, context)
})

/** A person's own session, or the sentence for a caller that has none. */
const personOf = (caller: CallerInfo) =>
  caller.kind === "user" && caller.id !== undefined
    ? Effect.succeed(caller.id)
    : caller.kind === "anonymous"
    ? Effect.fail(new Unauthorized({ message: "log in first with POST /v1/auth/login: two-step verification belongs to a person's account" }))
    : Effect.fail(new Forbidden({ message: "two-step verification is for people's accounts; API clients authenticate with their secret" }))

export const AuthHttp = HttpApiBuilder.group(
  MarketgateApi,
  "auth",
  Effect.fn(function*(handlers) {
    const settings = yield* AuthSettings
    const login = yield* Login
    const sessions = yield* Sessions
    const accounts = yield* Accounts
    const users = yield* UserRepo
    const mfa = yield* Mfa
    const passwords = yield* Passwords
    const audit = yield* Audit
    const limits = yield* RateLimits
    const allowedOrigins = new Set(settings.corsOrigins)

    /** Login and setup from another site's page would sign the browser into someone else's account: refused. */
    const sameSite = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const origin = request.headers.origin
      if (origin === undefined) return
      let host: string | undefined
      try {
        host = new URL(origin).host
      } catch {
        host = undefined
      }
      if (host !== request.headers.host && !allowedOrigins.has(origin)) {
        return yield* new Forbidden({ message: `log in from this site's own pages: requests from ${origin} are not allowed` })
      }
    })

    const throttled = (retryAfterMs: number, message: string) =>
      Effect.gen(function*() {
        const facts = yield* RequestFacts
        const retry = Math.max(1, Math.ceil(retryAfterMs / 1000))
        facts.headers = { ...facts.headers, "retry-after": String(retry) }
        return yield* new TooManyRequests({ message, retry_after_seconds: retry })
      })

    return handlers
      .handle("login", ({ payload, request }) =>
        Effect.gen(function*() {
          yield* sameSite
          const origin = yield* currentOrigin
          const result = yield* login.login(
            { username: payload.username, password: Redacted.make(payload.password), totp: payload.totp },
            origin,
            request.cookies[DEVICE_COOKIE]
          ).pipe(Effect.mapError(unavailable))
          switch (result._tag) {
            case "MfaRequired":
              return { status: "mfa_required" as const }
            case "Refused":
              return yield* (result.status === 403 ? new Forbidden({ message: result.message }) : new Unauthorized({ message: result.message }))
            case "Throttled":
              return yield* throttled(result.retryAfterMs, result.message)
            case "LoggedIn": {
              yield* setCookies(settings, sessionCookies(result.session, result.device))
              const u = result.user
              return {
                status: "ok" as const,
                principal: {
                  kind: "user" as const,
                  id: u.id,
                  name: u.username,
                  role: u.role,
                  mfa_enabled: u.mfaEnabled,
                  csrf_token: result.session.csrf,
                  session_expires_at: new Date(result.session.expiresAt).toISOString()
                }
              }
            }
          }
        }))
      .handle("setup", ({ payload }) =>
        Effect.gen(function*() {
          yield* sameSite
          const origin = yield* currentOrigin
          const limited = yield* limits.consume({ key: `setup:ip:${origin.ipAddress ?? "unknown"}`, limit: settings.login.perIp, window: settings.login.window })
          if (!limited.allowed) return yield* throttled(limited.retryAfterMs, "too many setup attempts from this address; try again later")
          const spent = yield* accounts.spendSetupToken(payload.setup_token).pipe(Effect.mapError(unavailable))
          if (!spent) {
            yield* audit.record({ action: "setup", outcome: "failure", actor: payload.username, details: { reason: "setup token not valid" } }, origin)
            return yield* new Unauthorized({
              message: "the setup token is not valid: it works once, while no user exists; restart the service for a new one, or use `npm run cli -- users add`"
            })
          }
          const added = yield* accounts.add({ username: payload.username, role: "admin", email: payload.email, password: Redacted.make(payload.password) }).pipe(
            Effect.mapError(unavailable)
          )
          if (added._tag === "Taken") return yield* new Conflict({ message: `the username ${payload.username} is taken` })
          yield* audit.record({ action: "user.created", outcome: "success", actor: added.user.username, userId: added.user.id, target: added.user.id, details: { role: "admin", via: "setup" } }, origin)
          return { kind: "user" as const, id: added.user.id, name: added.user.username, role: added.user.role, mfa_enabled: false }
        }))
      .handle("logout", () =>
        Effect.gen(function*() {
          const caller = yield* Caller
          if (caller.via !== "session" || caller.sessionId === undefined) {
            return yield* new InvalidRequest({ message: "logout ends a session; a bearer token is revoked with POST /oauth/revoke" })
          }
          yield* sessions.end(caller.sessionId).pipe(Effect.mapError(unavailable))
          yield* setCookies(settings, clearedCookies)
          yield* audit.record({ action: "logout", outcome: "success", actor: caller.name, userId: caller.id }, yield* currentOrigin)
          return { status: "logged_out" as const }
        }))
      .handle("me", () =>
        Effect.map(Caller, (caller) =>
          principalOf(caller, caller.sessionId === undefined ? {} : { csrf_token: sessions.csrfFor(caller.sessionId) })
        ))
      .handle("mfaEnrol", () =>
        Effect.gen(function*() {
          const id = yield* personOf(yield* Caller)
          const user = yield* users.byId(id).pipe(Effect.mapError(unavailable))
          if (user === undefined) return yield* new Unauthorized({ message: "the account no longer exists: log in again" })
          const result = yield* mfa.enrol(user).pipe(Effect.mapError(unavailable))
          if (result._tag === "AlreadyOn") {
            return yield* new Conflict({ message: "two-step verification is already on; turn it off with POST /v1/auth/mfa/disable to enrol a new device" })
          }
          yield* audit.record({ action: "mfa.enrol", outcome: "success", actor: user.username, userId: user.id }, yield* currentOrigin)
          return { secret: result.secret, otpauth_uri: result.uri }
        }))
      .handle("mfaVerify", ({ payload }) =>
        Effect.gen(function*() {
          const id = yield* personOf(yield* Caller)
          const user = yield* users.byId(id).pipe(Effect.mapError(unavailable))
          if (user === undefined) return yield* new Unauthorized({ message: "the account no longer exists: log in again" })
          const result = yield* mfa.confirm(user, payload.code).pipe(Effect.mapError(unavailable))
          const origin = yield* currentOrigin
          if (result._tag === "NotEnrolling") {
            return yield* new Conflict({ message: "no enrolment is pending: start one with POST /v1/auth/mfa/enrol" })
          }
          if (result._tag === "Wrong") {
            yield* audit.record({ action: "mfa.enabled", outcome: "failure", actor: user.username, userId: user.id, details: { reason: "wrong code" } }, origin)
            return yield* new InvalidRequest({ message: "wrong code: enter the 6-digit code the authenticator app shows now" })
          }
          yield* audit.record({ action: "mfa.enabled", outcome: "success", actor: user.username, userId: user.id }, origin)
          return { recovery_codes: result.recoveryCodes }
        }))
      .handle("mfaDisable", ({ payload }) =>
        Effect.gen(function*() {
          const id = yield* personOf(yield* Caller)
          const user = yield* users.byId(id).pipe(Effect.mapError(unavailable))
          if (user === undefined) return yield* new Unauthorized({ message: "the account no longer exists: log in again" })
          const origin = yield* currentOrigin
          const password = yield* passwords.verify(Redacted.make(payload.password), user.passwordHash)
          const factor = password.ok ? yield* mfa.check(user, payload.code).pipe(Effect.mapError(unavailable)) : "wrong"
          if (!password.ok || factor === "wrong" || factor === "replay") {
            yield* audit.record({ action: "mfa.disabled", outcome: "failure", actor: user.username, userId: user.id }, origin)
            return yield* new InvalidRequest({ message: "the password or the code is wrong; two-step verification stays on" })
          }
          yield* mfa.disable(user.id).pipe(Effect.mapError(unavailable))
          yield* audit.record({ action: "mfa.disabled", outcome: "success", actor: user.username, userId: user.id }, origin)
          return { mfa_enabled: false as const }
        }))
  })
)

void rateHeaders
