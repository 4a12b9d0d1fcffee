import { Clock, Context, Duration, Effect, Layer, Schedule, Schema } from "effect"
import type { StoreError } from "../Store/StoreError.ts"
import type { RequestOrigin } from "./Audit.ts"
import { AuthEvents } from "./AuthEvents.ts"
import { AuthKeys } from "./AuthKeys.ts"
import { AuthMetrics } from "./AuthMetrics.ts"
import { AuthRedis } from "./AuthRedis.ts"
import { AuthSettings } from "./AuthSettings.ts"
import { randomToken, sha256Text } from "./Digests.ts"
import { jittered } from "./Jitter.ts"
import { LocalCache } from "./LocalCache.ts"
import { type SessionRecord, SessionRepo } from "./SessionRepo.ts"

/** A session's expiry slides forward at most this often (one write per session per minute, not per request). */
const SLIDE_EVERY_MS = 60_000
/** How often every instance reads the latest session ends from the store, bus or no bus. */
const ENDS_EVERY = Duration.millis(400)
/** Overlap of successive reads (commit order, clock skew between instances). */
const ENDS_OVERLAP_MS = 5_000

const Wire = Schema.fromJsonString(Schema.Struct({ u: Schema.String, e: Schema.Finite }))
const decodeWire = Schema.decodeUnknownOption(Wire)

export interface NewSession {
  /** The cookie value (256 random bits); only its SHA-256, the session id, is stored. */
  readonly cookie: string
  readonly id: string
  readonly csrf: string
  readonly expiresAt: number
}

/**
 * Browser sessions, SESSION_TTL (30 min) sliding: every request made with
 * the cookie moves the expiry to now + TTL (written at most once a minute).
 * The record is the `sessions` table; Redis `session:{id}` caches it
 * (TTL ±10 %) and this process keeps it for AUTH_LOCAL_CACHE_TTL. The CSRF
 * token is a keyed hash of the id: nothing more to store, and it cannot be
 * guessed from the id. An ended session leaves a tombstone on every
 * instance (through the bus, and from the store's ended rows: those of the
 * last SESSION_TTL at start, then the latest every 400 ms), so a Redis that
 * missed the end, or comes back with the session's old copy, cannot revive it.
 */
export class Sessions extends Context.Service<Sessions, {
  readonly create: (userId: string, origin: RequestOrigin) => Effect.Effect<NewSession, StoreError>
  /** The live session of a cookie (its expiry slid forward), or undefined. */
  readonly lookup: (cookie: string) => Effect.Effect<SessionRecord | undefined, StoreError>
  readonly csrfFor: (sessionId: string) => string
  readonly end: (sessionId: string) => Effect.Effect<void, StoreError>
  readonly endForUser: (userId: string) => Effect.Effect<void, StoreError>
}>()("@marketgate/server/Auth/Sessions") {
  static readonly layer = Layer.effect(
    Sessions,
    Effect.gen(function*() {
      const settings = yield* AuthSettings
      const repo = yield* SessionRepo
      const redis = yield* AuthRedis
      const keys = yield* AuthKeys
      const events = yield* AuthEvents
      const metrics = yield* AuthMetrics
      const ttlMs = Duration.toMillis(settings.sessionTtl)
      const localMs = Duration.toMillis(settings.localTtl)
      const local = new LocalCache<SessionRecord>(100_000)
      const ended = new LocalCache<true>(100_000)
      const key = (id: string) => redis.key(`session:${id}`)
      const clock = yield* Clock.clockWith(Effect.succeed)
      const tombstone = (id: string, until: number) => {
        local.delete(id)
        ended.set(id, true, until)
      }
      // Ended sessions whose Redis copy may still be there: deleted as soon as Redis answers.
      const staleCopies = new Set<string>()
      const deleteStaleCopies = Effect.suspend(() => {
        if (!redis.enabled || staleCopies.size === 0) return Effect.void
        const batch = [...staleCopies].slice(0, 500)
        return redis.command("del", (c) => c.del(...batch.map(key))).pipe(
          Effect.map(() => batch.forEach((id) => staleCopies.delete(id))),
          Effect.ignore
        )
      })
      let endedWatermark = 0
      const learnEnds = (after: number) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          for (const row of yield* repo.endedAfter(after, now)) {
            if (row.endedAt > endedWatermark) endedWatermark = row.endedAt
            if (ended.get(row.id, now) !== undefined) continue
            tombstone(row.id, row.expiresAt)
            if (redis.enabled) staleCopies.add(row.id)
          }
          yield* deleteStaleCopies
        })
      {
        const now = yield* Clock.currentTimeMillis
        endedWatermark = now
        yield* learnEnds(now - ttlMs - ENDS_OVERLAP_MS).pipe(Effect.orDie)
      }
      yield* Effect.forkScoped(
        Effect.suspend(() => learnEnds(endedWatermark - ENDS_OVERLAP_MS)).pipe(
          Effect.ignore,
          Effect.repeat(Schedule.spaced(ENDS_EVERY)),
          Effect.delay(ENDS_EVERY)
        )
      )
      yield* events.listen((event) => {
        if (event.t === "session-ended") tombstone(event.id, clock.currentTimeMillisUnsafe() + ttlMs)
        else if (event.t === "user-changed") local.deleteWhere((s) => s.userId === event.id)
      })
      const share = (s: SessionRecord, now: number) =>
        redis.enabled
          ? Effect.ignore(redis.command("set", (c) => c.set(key(s.id), JSON.stringify({ u: s.userId, e: s.expiresAt }), "PX", Math.max(1_000, jittered(s.expiresAt - now)))))
          : Effect.void
      const csrfFor = (id: string) => keys.keyedHash(`csrf:${id}`)

      const create = Effect.fn("Sessions.create")(function*(userId: string, origin: RequestOrigin) {
        const now = yield* Clock.currentTimeMillis
        const cookie = randomToken(32)
        const session: SessionRecord = { id: sha256Text(cookie), userId, expiresAt: now + ttlMs }
        yield* repo.insert({ ...session, ipAddress: origin.ipAddress, userAgent: origin.userAgent }, now)
        yield* share(session, now)
        local.set(session.id, session, now + localMs)
        return { cookie, id: session.id, csrf: csrfFor(session.id), expiresAt: session.expiresAt }
      })

      /** Slides the expiry when the last slide is over a minute old; the store is written before the answer. */
      const slide = (s: SessionRecord, now: number): Effect.Effect<SessionRecord, StoreError> => {
        if (s.expiresAt - now > ttlMs - SLIDE_EVERY_MS) return Effect.succeed(s)
        const next: SessionRecord = { ...s, expiresAt: now + ttlMs }
        local.set(s.id, next, now + localMs)
        return repo.touch(s.id, next.expiresAt).pipe(Effect.andThen(share(next, now)), Effect.as(next))
      }

      const lookup = (cookie: string): Effect.Effect<SessionRecord | undefined, StoreError> =>
        Effect.clockWith((clock) => {
          if (cookie.length !== 43) return Effect.succeed(undefined)
          const now = clock.currentTimeMillisUnsafe()
          const id = sha256Text(cookie)
          if (ended.get(id, now) !== undefined) return Effect.succeed(undefined)
          const cached = local.get(id, now)
          if (cached !== undefined && cached.expiresAt > now) {
            metrics.cacheHit("session", "local")
            return slide(cached, now)
          }
          const shared = redis.enabled
            ? redis.command("get", (c) => c.get(key(id))).pipe(Effect.orElseSucceed(() => null))
            : Effect.succeed(null)
          return Effect.flatMap(shared, (raw) => {
            const wire = raw === null ? undefined : decodeWire(raw)
            if (wire !== undefined && wire._tag === "Some" && wire.value.e > now) {
              metrics.cacheHit("session", "redis")
              const s: SessionRecord = { id, userId: wire.value.u, expiresAt: wire.value.e }
              local.set(id, s, now + localMs)
              return slide(s, now)
            }
            metrics.cacheMiss("session")
            return Effect.flatMap(repo.byId(id, now), (s) => {
              if (s === undefined) return Effect.succeed(undefined)
              local.set(id, s, now + localMs)
              return Effect.andThen(share(s, now), slide(s, now))
            })
          })
        })

      /** Drops the Redis copies of ended sessions; kept for the next try when Redis cannot answer. */
      const dropCopies = (ids: ReadonlyArray<string>) =>
        !redis.enabled || ids.length === 0
          ? Effect.void
          : Effect.flatMap(Effect.exit(redis.command("del", (c) => c.del(...ids.map(key)))), (deleted) =>
            Effect.sync(() => {
              if (deleted._tag === "Failure") ids.forEach((id) => staleCopies.add(id))
            }))

      const end = Effect.fn("Sessions.end")(function*(id: string) {
        const now = yield* Clock.currentTimeMillis
        yield* repo.remove(id, now)
        tombstone(id, now + ttlMs)
        yield* dropCopies([id])
        yield* events.publish({ t: "session-ended", id })
      })

      const endForUser = Effect.fn("Sessions.endForUser")(function*(userId: string) {
        const now = yield* Clock.currentTimeMillis
        const ids = yield* repo.removeForUser(userId, now)
        for (const id of ids) tombstone(id, now + ttlMs)
        yield* dropCopies(ids)
        yield* Effect.forEach(ids, (id) => events.publish({ t: "session-ended", id }), { discard: true })
      })

      return Sessions.of({ create, lookup, csrfFor, end, endForUser })
    })
  )
}
