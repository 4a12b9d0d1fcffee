import type { Role } from "@marketgate/domain/Auth"
import { Clock, Context, Deferred, Duration, Effect, Layer, Queue } from "effect"
import type { StoreError } from "../Store/StoreError.ts"
import { AuthEvents } from "./AuthEvents.ts"
import { AuthMetrics } from "./AuthMetrics.ts"
import { AuthSettings } from "./AuthSettings.ts"
import type { ClientRecord } from "./ClientRepo.ts"
import { randomToken, sha256Text } from "./Digests.ts"
import { type LiveToken, TokenCache } from "./TokenCache.ts"
import { type TokenRecord, TokenRepo } from "./TokenRepo.ts"

/** Access tokens: `mgat_` and 256 random bits (the issue asks at least 128). */
export const TOKEN_PREFIX = "mgat_"
const MAX_TOKEN_LENGTH = 256

export type TokenCheck =
  | { readonly _tag: "Valid"; readonly token: LiveToken }
  | { readonly _tag: "Invalid"; readonly reason: "malformed" | "unknown" | "expired" | "revoked" }

interface PendingInsert {
  readonly record: TokenRecord
  readonly done: Deferred.Deferred<void, StoreError>
}

const BATCH = 500

/**
 * Issuing, verifying and revoking access tokens. Issuance is group-committed:
 * concurrent requests' tokens go to the store in one INSERT, and each answer
 * waits for its own row to be committed, so a token handed out is always in
 * the store. Verification walks the tiers of TokenCache, then the store.
 */
export class Tokens extends Context.Service<Tokens, {
  readonly issue: (client: ClientRecord, role: Role, scope: string) => Effect.Effect<{ readonly token: string; readonly expiresInSeconds: number }, StoreError>
  readonly verify: (token: string) => Effect.Effect<TokenCheck, StoreError>
  /** RFC 7009: a client revokes one of its own tokens. False when it was not a live token of that client. */
  readonly revoke: (token: string, clientId: string) => Effect.Effect<boolean, StoreError>
  /** Every live token of a client (the client was revoked). */
  readonly revokeClient: (clientId: string) => Effect.Effect<number, StoreError>
}>()("@marketgate/server/Auth/Tokens") {
  static readonly layer = Layer.effect(
    Tokens,
    Effect.gen(function*() {
      const settings = yield* AuthSettings
      const repo = yield* TokenRepo
      const cache = yield* TokenCache
      const events = yield* AuthEvents
      const metrics = yield* AuthMetrics
      const ttlMs = Duration.toMillis(settings.tokenTtl)

      const pending = yield* Queue.unbounded<PendingInsert>()
      const commit = (batch: ReadonlyArray<PendingInsert>) =>
        Effect.exit(repo.insertMany(batch.map((p) => p.record))).pipe(
          Effect.flatMap((exit) => Effect.forEach(batch, (p) => Deferred.done(p.done, exit), { discard: true }))
        )
      yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.takeBetween(pending, 1, BATCH), commit)))

      const issue = Effect.fn("Tokens.issue")(function*(client: ClientRecord, role: Role, scope: string) {
        const now = yield* Clock.currentTimeMillis
        const token = `${TOKEN_PREFIX}${randomToken(32)}`
        const record: TokenRecord = { hash: sha256Text(token), clientId: client.clientId, role, scope, issuedAt: now, expiresAt: now + ttlMs, revoked: false }
        const done = yield* Deferred.make<void, StoreError>()
        yield* Queue.offer(pending, { record, done })
        const live: LiveToken = { ...record, clientName: client.name, rateLimit: client.rateLimit }
        // Redis before the answer: another instance asked for this token at once finds it there.
        yield* cache.remember(live, now, true)
        yield* Deferred.await(done)
        if (cache.sharedAvailable) yield* Effect.forkDetach(events.publish({ t: "token-issued", h: record.hash }))
        metrics.tokenIssued()
        return { token, expiresInSeconds: Math.round(ttlMs / 1000) }
      })

      const fromStore = (hash: string, now: number) =>
        Effect.gen(function*() {
          metrics.cacheMiss("token")
          const row = yield* repo.byHash(hash)
          if (row === undefined) return { _tag: "Invalid", reason: "unknown" } as const
          if (row.revoked || row.clientRevoked) {
            // A token of a revoked client is refused on every instance from now on.
            if (!row.revoked) yield* cache.forget([hash], now)
            return { _tag: "Invalid", reason: "revoked" } as const
          }
          if (row.expiresAt <= now) return { _tag: "Invalid", reason: "expired" } as const
          const live: LiveToken = {
            hash,
            clientId: row.clientId,
            clientName: row.clientName,
            role: row.role,
            scope: row.scope,
            issuedAt: row.issuedAt,
            expiresAt: row.expiresAt,
            rateLimit: row.rateLimit
          }
          yield* cache.remember(live, now, true)
          return { _tag: "Valid", token: live } as const
        })

      const checkLive = (token: LiveToken, now: number): TokenCheck =>
        token.expiresAt <= now ? { _tag: "Invalid", reason: "expired" } : { _tag: "Valid", token }

      const verify = (token: string): Effect.Effect<TokenCheck, StoreError> =>
        Effect.clockWith((clock) => {
          if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return Effect.succeed({ _tag: "Invalid", reason: "malformed" } as const)
          const now = clock.currentTimeMillisUnsafe()
          const hash = sha256Text(token)
          const local = cache.local(hash, now)
          if (local === "revoked") return Effect.succeed({ _tag: "Invalid", reason: "revoked" } as const)
          if (local !== undefined) return Effect.succeed(checkLive(local, now))
          if (!cache.mightExist(hash)) {
            // Not among the live tokens this instance knows. Only one issued elsewhere a moment ago
            // could be missing, and its issuer put it in Redis before answering: Redis answers, and
            // a forged token costs no database query. Without Redis there is nothing to ask.
            if (!cache.sharedAvailable) {
              metrics.bloomRejected("token")
              return Effect.succeed({ _tag: "Invalid", reason: "unknown" } as const)
            }
            return Effect.flatMap(cache.shared(hash), (shared) => {
              if (shared === "absent") {
                metrics.bloomRejected("token")
                return Effect.succeed({ _tag: "Invalid", reason: "unknown" } as const)
              }
              // Redis cannot answer (it died, or is unreachable): the bus that teaches this filter
              // other instances' tokens is down too, so the store decides. A valid token must not
              // fail because Redis died; forged ones cost a primary-key lookup until it is back.
              if (shared === "unavailable") return fromStore(hash, now)
              return Effect.as(cache.remember(shared, now, false), checkLive(shared, now))
            })
          }
          return Effect.flatMap(cache.sharedAvailable ? cache.shared(hash) : Effect.succeed("unavailable" as const), (shared) =>
            typeof shared === "string"
              ? fromStore(hash, now)
              : Effect.as(cache.remember(shared, now, false), checkLive(shared, now)))
        })

      const revoke = Effect.fn("Tokens.revoke")(function*(token: string, clientId: string) {
        if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return false
        const now = yield* Clock.currentTimeMillis
        const hash = sha256Text(token)
        const revoked = yield* repo.revoke(hash, clientId, now)
        if (revoked) yield* cache.forget([hash], now)
        return revoked
      })

      const revokeClient = Effect.fn("Tokens.revokeClient")(function*(clientId: string) {
        const now = yield* Clock.currentTimeMillis
        const hashes = yield* repo.revokeClient(clientId, now)
        yield* cache.forget(hashes, now)
        yield* events.publish({ t: "client-changed", id: clientId })
        return hashes.length
      })

      return Tokens.of({ issue, verify, revoke, revokeClient })
    })
  )
}
