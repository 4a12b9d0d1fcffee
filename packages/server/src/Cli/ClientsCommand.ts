import { ClientName } from "@marketgate/domain/Accounts"
import { roles } from "@marketgate/domain/Auth"
import { Console, Effect, Option, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import { Audit, noOrigin } from "../Auth/Audit.ts"
import type { ClientRecord } from "../Auth/ClientRepo.ts"
import { Clients } from "../Auth/Clients.ts"
import { CliFailure } from "./CliFailure.ts"

/**
 *   npm run cli -- clients add --name "nightly job" --role viewer [--rate-limit 600]
 *   npm run cli -- clients list
 *   npm run cli -- clients rotate --client-id mgc_…
 *   npm run cli -- clients revoke --client-id mgc_…
 *
 * A secret is printed once; only a keyed hash of it is stored.
 */
const store = <A, E extends { readonly message: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.mapError(effect, (error) => new CliFailure({ message: error.message }))

const line = (c: ClientRecord) =>
  `${c.clientId}\t${c.name}\t${c.role}\t${c.rateLimit ?? "role quota"}\t${c.revokedAt === null ? "live" : `revoked ${c.revokedAt}`}\t${c.createdAt}`

const record = (action: string, client: ClientRecord) =>
  Effect.gen(function*() {
    const audit = yield* Audit
    yield* audit.record({ action, outcome: "success", actor: "cli", clientId: client.clientId, target: client.clientId, details: { via: "cli" } }, noOrigin)
    yield* audit.flush
  })

const printSecret = (client: ClientRecord, secret: string) =>
  Effect.gen(function*() {
    yield* Console.log(line(client))
    yield* Console.log(`client_id: ${client.clientId}`)
    yield* Console.log(`client_secret: ${secret}`)
    yield* Console.log("(the secret is shown once; get tokens with POST /oauth/token, HTTP Basic client_id:client_secret)")
  })

const add = Command.make(
  "add",
  {
    name: Flag.String("name"),
    role: Flag.Literals("role", roles),
    rateLimit: Flag.Int("rate-limit").pipe(Flag.withDescription("requests per RATE_LIMIT_WINDOW (default: the role's quota)"), Flag.optional)
  },
  Effect.fn(function*({ name, rateLimit, role }) {
    yield* Schema.decodeUnknownEffect(ClientName)(name).pipe(Effect.mapError((e) => new CliFailure({ message: e.message })))
    if (Option.isSome(rateLimit) && !(rateLimit.value >= 1 && rateLimit.value <= 10_000_000)) {
      return yield* new CliFailure({ message: "--rate-limit must be a whole number from 1 to 10000000" })
    }
    const { client, secret } = yield* store((yield* Clients).add({ name, role, rateLimit: Option.getOrNull(rateLimit) }, "cli"))
    yield* record("client.created", client)
    yield* printSecret(client, secret)
  })
).pipe(Command.withDescription("Add an API client (client credentials); its secret is printed once"))

const list = Command.make(
  "list",
  {},
  Effect.fn(function*() {
    for (const c of yield* store((yield* Clients).list)) yield* Console.log(line(c))
  })
).pipe(Command.withDescription("API clients: id, name, role, quota, state, created"))

const missing = (id: string) => new CliFailure({ message: `no live client ${id}; list clients with npm run cli -- clients list` })

const rotate = Command.make(
  "rotate",
  { clientId: Flag.String("client-id") },
  Effect.fn(function*({ clientId }) {
    const rotated = yield* store((yield* Clients).rotate(clientId))
    if (rotated === undefined) return yield* missing(clientId)
    yield* record("client.rotated", rotated.client)
    yield* printSecret(rotated.client, rotated.secret)
  })
).pipe(Command.withDescription("A new secret for a client; the old one stops working (issued tokens run until they expire)"))

const revoke = Command.make(
  "revoke",
  { clientId: Flag.String("client-id") },
  Effect.fn(function*({ clientId }) {
    const revoked = yield* store((yield* Clients).revoke(clientId))
    if (revoked === undefined) return yield* missing(clientId)
    yield* record("client.revoked", revoked.client)
    yield* Console.log(line(revoked.client))
    yield* Console.log(`${revoked.tokens} live tokens revoked`)
  })
).pipe(Command.withDescription("Revoke a client and every token it holds (every instance refuses them within a second, with REDIS_URL)"))

export const ClientsCommand = Command.make("clients").pipe(
  Command.withDescription("API clients (OAuth 2.0 client credentials)"),
  Command.withSubcommands([add, list, rotate, revoke])
)
