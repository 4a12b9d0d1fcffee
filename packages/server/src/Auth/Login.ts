import { Clock, Context, Effect, Layer, Redacted } from "effect"
import type { StoreError } from "../Store/StoreError.ts"
import { Audit, type RequestOrigin } from "./Audit.ts"
import { AuthMetrics } from "./AuthMetrics.ts"
import { AuthSettings } from "./AuthSettings.ts"
import { DeviceCookies } from "./DeviceCookies.ts"
import { Mfa } from "./Mfa.ts"
import { Passwords } from "./Passwords.ts"
import { RateLimits } from "./RateLimits.ts"
import { type NewSession, Sessions } from "./Sessions.ts"
import { UserRepo } from "./UserRepo.ts"
import { type UserView, Users, viewOf } from "./Users.ts"

export interface LoginAttempt {
  readonly username: string
  readonly password: Redacted.Redacted<string>
  readonly totp?: string | undefined
}

export type LoginResult =
  | { readonly _tag: "LoggedIn"; readonly session: NewSession; readonly user: UserView; readonly device: string }
  | { readonly _tag: "MfaRequired" }
  | { readonly _tag: "Refused"; readonly message: string; readonly status: 401 | 403 }
  | { readonly _tag: "Throttled"; readonly retryAfterMs: number; readonly message: string }

const WRONG = "wrong username or password"

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000))

/**
 * Password login, guarded against guessing: attempts are limited per client
 * IP, and per username unless the browser carries a device cookie of that
 * user (then per device). Limits are windows that refill, never a lock that
 * stays: the worst an attacker can do is make a user without a known device
 * wait for the window. An unknown username costs the same Argon2 work as a
 * known one (no timing difference), and the Bloom filter spares the store.
 */
export class Login extends Context.Service<Login, {
  readonly login: (attempt: LoginAttempt, origin: RequestOrigin, deviceCookie: string | undefined) => Effect.Effect<LoginResult, StoreError>
}>()("@marketgate/server/Auth/Login") {
  static readonly layer = Layer.effect(
    Login,
    Effect.gen(function*() {
      const settings = yield* AuthSettings
      const limits = yield* RateLimits
      const repo = yield* UserRepo
      const users = yield* Users
      const passwords = yield* Passwords
      const mfa = yield* Mfa
      const sessions = yield* Sessions
      const devices = yield* DeviceCookies
      const audit = yield* Audit
      const metrics = yield* AuthMetrics
      const window = settings.login.window

      const login = Effect.fn("Login.login")(function*(attempt: LoginAttempt, origin: RequestOrigin, deviceCookie: string | undefined) {
        const name = attempt.username.toLowerCase()
        const fail = (reason: string, outcome: "failure" | "throttled" | "disabled", userId?: string) =>
          Effect.sync(() => metrics.login(outcome)).pipe(
            Effect.andThen(audit.record({ action: "login", outcome: "failure", actor: name.slice(0, 128), userId, details: { reason } }, origin))
          )

        const byIp = yield* limits.consume({ key: `login:ip:${origin.ipAddress ?? "unknown"}`, limit: settings.login.perIp, window })
        if (!byIp.allowed) {
          metrics.rateLimited("login_ip")
          yield* fail("too many attempts from this address", "throttled")
          return {
            _tag: "Throttled",
            retryAfterMs: byIp.retryAfterMs,
            message: `too many login attempts from this address; try again in ${seconds(byIp.retryAfterMs)} s`
          } as const
        }
        const device = devices.verify(deviceCookie, name)
        const byName = yield* limits.consume({
          key: device === undefined ? `login:user:${name}` : `login:device:${device}`,
          limit: settings.login.perUsername,
          window
        })
        if (!byName.allowed) {
          metrics.rateLimited("login_username")
          yield* fail("too many attempts for this username", "throttled")
          return {
            _tag: "Throttled",
            retryAfterMs: byName.retryAfterMs,
            message: `too many login attempts for this username; try again in ${seconds(byName.retryAfterMs)} s ` +
              `(a browser that logged in as this user before is not held up by others' attempts)`
          } as const
        }

        const known = yield* users.mightExist(name)
        if (!known) metrics.bloomRejected("user")
        const user = known ? yield* repo.byLogin(name) : undefined
        if (user === undefined) {
          yield* passwords.dummyVerify(attempt.password)
          yield* fail("unknown username", "failure")
          return { _tag: "Refused", message: WRONG, status: 401 } as const
        }
        const check = yield* passwords.verify(attempt.password, user.passwordHash)
        if (!check.ok) {
          yield* fail("wrong password", "failure", user.id)
          return { _tag: "Refused", message: WRONG, status: 401 } as const
        }
        if (user.disabled) {
          yield* fail("account disabled", "disabled", user.id)
          return { _tag: "Refused", message: "this account is disabled; ask an administrator to enable it", status: 403 } as const
        }
        const now = yield* Clock.currentTimeMillis
        if (check.needsRehash) {
          // The stored hash used older parameters: store one with today's.
          const rehashed = yield* passwords.hash(attempt.password)
          yield* repo.setPasswordHash(user.id, rehashed, now)
        }
        if (user.totpSecret !== null) {
          if (attempt.totp === undefined) {
            metrics.login("mfa_required")
            return { _tag: "MfaRequired" } as const
          }
          const factor = yield* mfa.check(user, attempt.totp)
          if (factor === "replay" || factor === "wrong") {
            yield* fail(factor === "replay" ? "TOTP code replayed" : "wrong TOTP code", "failure", user.id)
            return {
              _tag: "Refused",
              message: factor === "replay"
                ? "this code was already used; wait for the next one in the authenticator app"
                : "wrong code: send the 6-digit code the authenticator app shows now, or a recovery code",
              status: 401
            } as const
          }
        }
        const session = yield* sessions.create(user.id, origin)
        yield* repo.touchLogin(user.id, now)
        metrics.login("success")
        yield* audit.record({ action: "login", outcome: "success", actor: user.username, userId: user.id, details: { mfa: user.totpSecret !== null } }, origin)
        return { _tag: "LoggedIn", session, user: viewOf(user), device: devices.issue(name) } as const
      })

      void Redacted
      return Login.of({ login })
    })
  )
}
