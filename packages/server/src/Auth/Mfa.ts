import { Clock, Context, Effect, Layer } from "effect"
import * as Crypto from "node:crypto"
import type { StoreError } from "../Store/StoreError.ts"
import { AuthKeys } from "./AuthKeys.ts"
import { AuthMetrics } from "./AuthMetrics.ts"
import * as Totp from "./Totp.ts"
import { type UserRecord, UserRepo } from "./UserRepo.ts"
import { Users } from "./Users.ts"

export const ISSUER = "marketgate"
const RECOVERY_CODES = 10

export type SecondFactor = "ok" | "recovery_code" | "replay" | "wrong"

/** `abcd-efgh-ijkl`: 60 random bits, easy to type. */
const recoveryCode = () => {
  const text = Totp.base32Encode(Crypto.randomBytes(8)).slice(0, 12).toLowerCase()
  return `${text.slice(0, 4)}-${text.slice(4, 8)}-${text.slice(8, 12)}`
}
const normaliseRecovery = (code: string) => code.toLowerCase().replace(/[^a-z2-7]/g, "")

export type EnrolResult =
  | { readonly _tag: "Enrolling"; readonly secret: string; readonly uri: string }
  | { readonly _tag: "AlreadyOn" }
export type VerifyResult =
  | { readonly _tag: "Enabled"; readonly recoveryCodes: ReadonlyArray<string> }
  | { readonly _tag: "NotEnrolling" }
  | { readonly _tag: "Wrong" }

/**
 * TOTP two-step verification (RFC 6238): enrol (a secret pending until a
 * code proves the app has it), check a code at login (each step usable once:
 * the last used step is recorded atomically, so a replayed code is refused
 * on every instance), recovery codes (stored as keyed hashes, each usable
 * once), and turning it off.
 */
export class Mfa extends Context.Service<Mfa, {
  readonly enrol: (user: UserRecord) => Effect.Effect<EnrolResult, StoreError>
  readonly confirm: (user: UserRecord, code: string) => Effect.Effect<VerifyResult, StoreError>
  /** A second factor at login (or to turn MFA off): a current code or a recovery code. */
  readonly check: (user: UserRecord, code: string) => Effect.Effect<SecondFactor, StoreError>
  readonly disable: (userId: string) => Effect.Effect<UserRecord | undefined, StoreError>
}>()("@marketgate/server/Auth/Mfa") {
  static readonly layer = Layer.effect(
    Mfa,
    Effect.gen(function*() {
      const repo = yield* UserRepo
      const users = yield* Users
      const keys = yield* AuthKeys
      const metrics = yield* AuthMetrics

      const enrol = Effect.fn("Mfa.enrol")(function*(user: UserRecord) {
        if (user.totpSecret !== null) return { _tag: "AlreadyOn" } as const
        const now = yield* Clock.currentTimeMillis
        const secret = Totp.newSecret()
        yield* repo.setPendingTotp(user.id, secret, now)
        return { _tag: "Enrolling", secret, uri: Totp.otpauthUri(ISSUER, user.username, secret) } as const
      })

      const confirm = Effect.fn("Mfa.confirm")(function*(user: UserRecord, code: string) {
        if (user.totpPending === null) return { _tag: "NotEnrolling" } as const
        const now = yield* Clock.currentTimeMillis
        const key = Totp.base32Decode(user.totpPending)
        const step = key === undefined ? undefined : Totp.verify(key, code, now)
        if (step === undefined) {
          metrics.mfa("failure")
          return { _tag: "Wrong" } as const
        }
        const codes = Array.from({ length: RECOVERY_CODES }, recoveryCode)
        const enabled = yield* repo.enableTotp(user.id, step, codes.map((c) => keys.keyedHash(`recovery:${normaliseRecovery(c)}`)), now)
        if (!enabled) return { _tag: "NotEnrolling" } as const
        metrics.mfa("success")
        yield* users.changed(user.id)
        return { _tag: "Enabled", recoveryCodes: codes } as const
      })

      const check = Effect.fn("Mfa.check")(function*(user: UserRecord, code: string) {
        if (user.totpSecret === null) return "wrong" as const
        const trimmed = code.trim()
        if (/^\d{6}$/.test(trimmed)) {
          const now = yield* Clock.currentTimeMillis
          const key = Totp.base32Decode(user.totpSecret)
          const step = key === undefined ? undefined : Totp.verify(key, trimmed, now)
          if (step === undefined) {
            metrics.mfa("failure")
            return "wrong" as const
          }
          const fresh = yield* repo.useTotpStep(user.id, step)
          metrics.mfa(fresh ? "success" : "replay")
          return fresh ? "ok" as const : "replay" as const
        }
        const normal = normaliseRecovery(trimmed)
        if (normal.length !== 12) {
          metrics.mfa("failure")
          return "wrong" as const
        }
        const used = yield* repo.useRecoveryCode(user.id, keys.keyedHash(`recovery:${normal}`))
        metrics.mfa(used ? "recovery_code" : "failure")
        return used ? "recovery_code" as const : "wrong" as const
      })

      const disable = Effect.fn("Mfa.disable")(function*(userId: string) {
        const now = yield* Clock.currentTimeMillis
        const user = yield* repo.disableTotp(userId, now)
        yield* users.changed(userId)
        return user
      })

      return Mfa.of({ enrol, confirm, check, disable })
    })
  )
}
