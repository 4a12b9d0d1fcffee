import type { Role } from "@marketgate/domain/Auth"
import { Clock, Context, Duration, Effect, Layer } from "effect"
import type { StoreError } from "../Store/StoreError.ts"
import { AuthEvents } from "./AuthEvents.ts"
import { AuthKeys } from "./AuthKeys.ts"
import { AuthSettings } from "./AuthSettings.ts"
import { type ClientRecord, ClientRepo } from "./ClientRepo.ts"
import { randomToken } from "./Digests.ts"
import { LocalCache } from "./LocalCache.ts"
import { Tokens } from "./Tokens.ts"

export const CLIENT_ID_PREFIX = "mgc_"
export const CLIENT_SECRET_PREFIX = "mgs_"

const MAX_SECRET_LENGTH = 256

/**
 * API clients (client credentials). A secret is `mgs_` and 256 random bits,
 * shown once; only HMAC-SHA256 of it (AuthKeys) is stored, so checking one
 * costs microseconds, not the password KDF's tens of milliseconds. Client
 * records are kept in this process for AUTH_LOCAL_CACHE_TTL and dropped on
 * every instance when a client is rotated or revoked.
 */
export class Clients extends Context.Service<Clients, {
  readonly add: (client: { readonly name: string; readonly role: Role; readonly rateLimit: number | null }, createdBy: string) => Effect.Effect<{ readonly client: ClientRecord; readonly secret: string }, StoreError>
  readonly list: Effect.Effect<ReadonlyArray<ClientRecord>, StoreError>
  readonly rotate: (clientId: string) => Effect.Effect<{ readonly client: ClientRecord; readonly secret: string } | undefined, StoreError>
  /** Revokes the client and every token it holds. */
  readonly revoke: (clientId: string) => Effect.Effect<{ readonly client: ClientRecord; readonly tokens: number } | undefined, StoreError>
  /** The live client these credentials belong to, or undefined (unknown, revoked, wrong secret: all the same). */
  readonly authenticate: (clientId: string, secret: string) => Effect.Effect<ClientRecord | undefined, StoreError>
}>()("@marketgate/server/Auth/Clients") {
  static readonly layer = Layer.effect(
    Clients,
    Effect.gen(function*() {
      const settings = yield* AuthSettings
      const repo = yield* ClientRepo
      const keys = yield* AuthKeys
      const tokens = yield* Tokens
      const events = yield* AuthEvents
      const local = new LocalCache<ClientRecord>(10_000)
      const localMs = Duration.toMillis(settings.localTtl)
      yield* events.listen((event) => {
        if (event.t === "client-changed") local.delete(event.id)
      })
      const newSecret = () => `${CLIENT_SECRET_PREFIX}${randomToken(32)}`

      const add = Effect.fn("Clients.add")(function*(c: { readonly name: string; readonly role: Role; readonly rateLimit: number | null }, createdBy: string) {
        const now = yield* Clock.currentTimeMillis
        const secret = newSecret()
        const client = yield* repo.insert({
          clientId: `${CLIENT_ID_PREFIX}${randomToken(12)}`,
          name: c.name,
          role: c.role,
          secretHash: keys.keyedHash(secret),
          rateLimit: c.rateLimit,
          createdBy
        }, now)
        return { client, secret }
      })

      const rotate = Effect.fn("Clients.rotate")(function*(clientId: string) {
        const now = yield* Clock.currentTimeMillis
        const secret = newSecret()
        const client = yield* repo.rotate(clientId, keys.keyedHash(secret), now)
        if (client === undefined) return undefined
        yield* events.publish({ t: "client-changed", id: clientId })
        return { client, secret }
      })

      const revoke = Effect.fn("Clients.revoke")(function*(clientId: string) {
        const now = yield* Clock.currentTimeMillis
        const client = yield* repo.revoke(clientId, now)
        if (client === undefined) return undefined
        const revoked = yield* tokens.revokeClient(clientId)
        return { client, tokens: revoked }
      })

      const authenticate = (clientId: string, secret: string): Effect.Effect<ClientRecord | undefined, StoreError> =>
        Effect.clockWith((clock) => {
          if (!clientId.startsWith(CLIENT_ID_PREFIX) || clientId.length > 80 || secret.length === 0 || secret.length > MAX_SECRET_LENGTH) {
            return Effect.succeed(undefined)
          }
          const now = clock.currentTimeMillisUnsafe()
          const check = (client: ClientRecord | undefined) =>
            client !== undefined && client.revokedAt === null && keys.matches(secret, client.secretHash) ? client : undefined
          const cached = local.get(clientId, now)
          if (cached !== undefined) return Effect.succeed(check(cached))
          return Effect.map(repo.byId(clientId), (client) => {
            if (client !== undefined) local.set(clientId, client, now + localMs)
            return check(client)
          })
        })

      return Clients.of({ add, list: repo.list, rotate, revoke, authenticate })
    })
  )
}
