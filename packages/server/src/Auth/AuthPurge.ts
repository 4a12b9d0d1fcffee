import { Clock, Context, Duration, Effect, Layer, Schedule } from "effect"
import type { StoreError } from "../Store/StoreError.ts"
import { SessionRepo } from "./SessionRepo.ts"
import { TokenRepo } from "./TokenRepo.ts"

/** How often each instance deletes what has expired (idempotent: instances may overlap). */
export const PURGE_EVERY = Duration.hours(1)
/** An expired token stays a day, so a late caller is told "expired" rather than "not valid". */
const TOKEN_GRACE = Duration.days(1)

/**
 * Deletes expired access tokens (a day after they expired) and expired
 * sessions (ended ones included), hourly: without it `oauth_tokens` and
 * `sessions` grow by every token issued and every login, and the
 * tombstone and Bloom filter reads scan ever more rows.
 */
export class AuthPurge extends Context.Service<AuthPurge, {
  readonly run: Effect.Effect<{ readonly tokens: number; readonly sessions: number }, StoreError>
}>()("@marketgate/server/Auth/AuthPurge") {
  static readonly layer = Layer.effect(
    AuthPurge,
    Effect.gen(function*() {
      const tokens = yield* TokenRepo
      const sessions = yield* SessionRepo
      const run = Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const purged = {
          tokens: yield* tokens.purge(now - Duration.toMillis(TOKEN_GRACE)),
          sessions: yield* sessions.purge(now)
        }
        if (purged.tokens + purged.sessions > 0) {
          yield* Effect.logInfo("purged expired access tokens and sessions").pipe(Effect.annotateLogs(purged))
        }
        return purged
      }).pipe(Effect.withSpan("AuthPurge.run"))
      yield* Effect.forkScoped(
        run.pipe(
          Effect.catch((error) => Effect.logWarning("purge of expired tokens and sessions failed; next try in an hour").pipe(Effect.annotateLogs({ error: error.message }))),
          Effect.repeat(Schedule.spaced(PURGE_EVERY)),
          Effect.delay(PURGE_EVERY)
        )
      )
      return AuthPurge.of({ run })
    })
  )
}
