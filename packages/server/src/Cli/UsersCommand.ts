import { Email, MIN_PASSWORD_LENGTH, roles, Username } from "@marketgate/domain/Auth"
import { Console, Effect, Option, Redacted, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import * as Readline from "node:readline/promises"
import { Accounts } from "../Auth/Accounts.ts"
import { Audit, noOrigin } from "../Auth/Audit.ts"
import type { UserRecord } from "../Auth/UserRepo.ts"
import { CliFailure } from "./CliFailure.ts"

/**
 *   npm run cli -- users add --username ana --role analyst [--email ana@example.com] [--password-stdin]
 *   npm run cli -- users list [--limit 50]
 *   npm run cli -- users disable --username ana
 *   npm run cli -- users reset-mfa --username ana
 *
 * A password is read from stdin with --password-stdin (never from a flag, which
 * shells keep in their history), or generated and printed once.
 */
const store = <A, E extends { readonly message: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.mapError(effect, (error) => new CliFailure({ message: error.message }))

const decode = <S extends Schema.Top>(schema: S, value: unknown) =>
  Schema.decodeUnknownEffect(schema)(value).pipe(Effect.mapError((error) => new CliFailure({ message: error.message })))

const line = (u: UserRecord) =>
  `${u.id}\t${u.username}\t${u.role}\t${u.disabled ? "disabled" : "active"}\t${u.totpSecret === null ? "mfa:off" : "mfa:on"}\t${u.email ?? "-"}\t${u.createdAt}\t${u.lastLoginAt ?? "never"}`

const readPassword = Effect.promise(async () => {
  const rl = Readline.createInterface({ input: process.stdin })
  const first = await rl[Symbol.asyncIterator]().next()
  rl.close()
  return first.done === true ? "" : String(first.value)
})

const find = (username: string) =>
  Effect.gen(function*() {
    const user = yield* store((yield* Accounts).byLogin(username))
    if (user === undefined) return yield* new CliFailure({ message: `no user ${username}; list users with npm run cli -- users list` })
    return user
  })

const record = (action: string, user: UserRecord, details: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const audit = yield* Audit
    yield* audit.record({ action, outcome: "success", actor: "cli", target: user.id, userId: null, details: { username: user.username, via: "cli", ...details } }, noOrigin)
    yield* audit.flush
  })

const add = Command.make(
  "add",
  {
    username: Flag.String("username").pipe(Flag.withDescription("3-64 letters, digits, '.', '_' or '-'")),
    role: Flag.Literals("role", roles).pipe(Flag.withDescription("viewer, analyst or admin")),
    email: Flag.String("email").pipe(Flag.optional),
    passwordStdin: Flag.Boolean("password-stdin").pipe(Flag.withDescription("read the password from the first line of stdin"), Flag.withDefault(false))
  },
  Effect.fn(function*({ email, passwordStdin, role, username }) {
    yield* decode(Username, username)
    if (Option.isSome(email)) yield* decode(Email, email.value)
    let password: Redacted.Redacted<string> | undefined
    if (passwordStdin) {
      const text = (yield* readPassword).replace(/\r?\n$/, "")
      if (text.length < MIN_PASSWORD_LENGTH) {
        return yield* new CliFailure({ message: `the password must be at least ${MIN_PASSWORD_LENGTH} characters long` })
      }
      password = Redacted.make(text)
    }
    const added = yield* store((yield* Accounts).add({ username, role, email: Option.getOrUndefined(email), password }))
    if (added._tag === "Taken") return yield* new CliFailure({ message: `the username ${username} or that email is taken` })
    yield* record("user.created", added.user, { role })
    yield* Console.log(line(added.user))
    if (added.generatedPassword !== undefined) {
      yield* Console.log(`password: ${added.generatedPassword}`)
      yield* Console.log("(shown once; it is stored only as an Argon2id hash)")
    }
  })
).pipe(Command.withDescription("Add a user"))

const list = Command.make(
  "list",
  { limit: Flag.Int("limit").pipe(Flag.withDefault(50)) },
  Effect.fn(function*({ limit }) {
    const users = yield* store((yield* Accounts).list({ limit: Math.max(1, Math.min(500, limit)) }))
    for (const u of users) yield* Console.log(line(u))
  })
).pipe(Command.withDescription("Users, newest first: id, username, role, state, MFA, email, created, last login"))

const disable = Command.make(
  "disable",
  { username: Flag.String("username") },
  Effect.fn(function*({ username }) {
    const user = yield* find(username)
    const disabled = yield* store((yield* Accounts).setDisabled(user.id, true))
    yield* record("user.disabled", user)
    yield* Console.log(line(disabled ?? user))
  })
).pipe(Command.withDescription("Disable a user; their sessions end at once on every instance (with REDIS_URL)"))

const resetMfa = Command.make(
  "reset-mfa",
  { username: Flag.String("username") },
  Effect.fn(function*({ username }) {
    const user = yield* find(username)
    const reset = yield* store((yield* Accounts).resetMfa(user.id))
    yield* record("mfa.reset", user)
    yield* Console.log(line(reset ?? user))
  })
).pipe(Command.withDescription("Turn a user's two-step verification off (a lost device); they enrol again after logging in"))

export const UsersCommand = Command.make("users").pipe(
  Command.withDescription("People's accounts"),
  Command.withSubcommands([add, list, disable, resetMfa])
)
