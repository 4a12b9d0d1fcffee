import type { Role } from "@marketgate/domain/Auth"
import { Clock, Context, Effect, Layer, Redacted } from "effect"
import type { StoreError } from "../Store/StoreError.ts"
import { AuthStateRepo } from "./AuthStateRepo.ts"
import { randomToken, sha256Text, sameDigestText } from "./Digests.ts"
import { Mfa } from "./Mfa.ts"
import { Passwords } from "./Passwords.ts"
import { Sessions } from "./Sessions.ts"
import { type UserRecord, UserRepo } from "./UserRepo.ts"
import { Users } from "./Users.ts"

export const SETUP_TOKEN_STATE = "setup_token"

export type AddUserResult =
  | { readonly _tag: "Added"; readonly user: UserRecord; readonly generatedPassword: string | undefined }
  | { readonly _tag: "Taken" }

/**
 * Managing people's accounts (the admin endpoints and `cli users`): add,
 * list, disable (their sessions end at once, on every instance), reset MFA;
 * and the first admin, from ADMIN_PASSWORD or the one-time setup token.
 */
export class Accounts extends Context.Service<Accounts, {
  readonly add: (user: {
    readonly username: string
    readonly role: Role
    readonly email?: string | undefined
    readonly password?: Redacted.Redacted<string> | undefined
  }) => Effect.Effect<AddUserResult, StoreError>
  readonly list: (options: { readonly after?: { readonly createdAt: string; readonly id: string } | undefined; readonly limit: number }) => Effect.Effect<ReadonlyArray<UserRecord>, StoreError>
  readonly byId: (id: string) => Effect.Effect<UserRecord | undefined, StoreError>
  readonly byLogin: (login: string) => Effect.Effect<UserRecord | undefined, StoreError>
  readonly setDisabled: (id: string, disabled: boolean) => Effect.Effect<UserRecord | undefined, StoreError>
  readonly resetMfa: (id: string) => Effect.Effect<UserRecord | undefined, StoreError>
  readonly count: Effect.Effect<number, StoreError>
  /** Stores the hash of a new one-time setup token (valid `validMs`) unless one is live; answers the token if it is ours. */
  readonly newSetupToken: (validMs: number) => Effect.Effect<string | undefined, StoreError>
  /** Spends the setup token: true once, for the first caller with the right token, while no user exists. */
  readonly spendSetupToken: (token: string) => Effect.Effect<boolean, StoreError>
}>()("@marketgate/server/Auth/Accounts") {
  static readonly layer = Layer.effect(
    Accounts,
    Effect.gen(function*() {
      const repo = yield* UserRepo
      const users = yield* Users
      const passwords = yield* Passwords
      const sessions = yield* Sessions
      const mfa = yield* Mfa
      const state = yield* AuthStateRepo

      const add = Effect.fn("Accounts.add")(function*(u: {
        readonly username: string
        readonly role: Role
        readonly email?: string | undefined
        readonly password?: Redacted.Redacted<string> | undefined
      }) {
        const now = yield* Clock.currentTimeMillis
        // 24 random characters when none is given: shown once, never stored.
        const generated = u.password === undefined ? randomToken(18) : undefined
        const passwordHash = yield* passwords.hash(u.password ?? Redacted.make(generated!))
        const user = yield* repo.insert({ username: u.username, email: u.email ?? null, role: u.role, passwordHash }, now)
        if (user === undefined) return { _tag: "Taken" } as const
        yield* users.changed(user.id, user.username)
        if (user.email !== null) yield* users.changed(user.id, user.email)
        return { _tag: "Added", user, generatedPassword: generated } as const
      })

      const setDisabled = Effect.fn("Accounts.setDisabled")(function*(id: string, disabled: boolean) {
        const now = yield* Clock.currentTimeMillis
        const user = yield* repo.setDisabled(id, disabled, now)
        if (user === undefined) return undefined
        if (disabled) yield* sessions.endForUser(id)
        yield* users.changed(id)
        return user
      })

      const newSetupToken = Effect.fn("Accounts.newSetupToken")(function*(validMs: number) {
        const now = yield* Clock.currentTimeMillis
        const token = randomToken(24)
        const held = yield* state.putIfAbsent(SETUP_TOKEN_STATE, sha256Text(token), now + validMs, now)
        return held === sha256Text(token) ? token : undefined
      })

      const spendSetupToken = Effect.fn("Accounts.spendSetupToken")(function*(token: string) {
        const now = yield* Clock.currentTimeMillis
        const held = yield* state.get(SETUP_TOKEN_STATE, now)
        if (held === undefined || !sameDigestText(sha256Text(token), held)) return false
        if ((yield* repo.count) > 0) return false
        // Only one caller deletes the row: the one whose setup goes ahead.
        return yield* state.remove(SETUP_TOKEN_STATE)
      })

      return Accounts.of({
        add,
        list: repo.list,
        byId: repo.byId,
        byLogin: repo.byLogin,
        setDisabled,
        resetMfa: mfa.disable,
        count: repo.count,
        newSetupToken,
        spendSetupToken
      })
    })
  )
}
