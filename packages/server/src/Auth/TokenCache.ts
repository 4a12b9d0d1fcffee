import { Clock, Context, Duration, Effect, Layer, Schedule, Schema } from "effect"
import { AuthEvents } from "./AuthEvents.ts"
import { AuthMetrics } from "./AuthMetrics.ts"
import { AuthRedis } from "./AuthRedis.ts"
import { AuthSettings } from "./AuthSettings.ts"
import { DigestBloomFilter } from "./BloomFilter.ts"
import { jittered } from "./Jitter.ts"
import { LocalCache } from "./LocalCache.ts"
import { TokenRepo, type TokenWithClient } from "./TokenRepo.ts"

/** A token as every cache tier holds it (never the token itself: its SHA-256). */
export type LiveToken = Omit<TokenWithClient, "revoked" | "clientRevoked">

const Wire = Schema.fromJsonString(Schema.Struct({
  c: Schema.String,
  n: Schema.String,
  r: Schema.Literals(["viewer", "analyst", "admin"]),
  s: Schema.String,
  i: Schema.Finite,
  e: Schema.Finite,
  l: Schema.NullOr(Schema.Finite)
}))
const decodeWire = Schema.decodeUnknownOption(Wire)

const LOCAL_CAPACITY = 200_000
const MIN_BLOOM_CAPACITY = 100_000
/** How often the filter is rebuilt from the store (expired and revoked tokens leave it then). */
const REBUILD_EVERY = Duration.minutes(10)
/** While Redis is down (or absent), how often tokens issued by other instances are read from the store. */
const POLL_EVERY = Duration.seconds(2)
/** Overlap of successive polls (commit order and clock skew between instances). */
const POLL_OVERLAP_MS = 5_000
/**
 * How often every instance reads the latest revocations from the store, bus
 * or no bus: a revocation the bus missed (Redis down, unreachable, or
 * restarted between two of its messages) still takes effect within a second.
 */
const REVOCATIONS_EVERY = Duration.millis(400)
/** Keys per DEL of stale token:{hash} copies. */
const DELETE_BATCH = 500

/**
 * The tiers in front of `oauth_tokens`: this process (verified tokens for
 * AUTH_LOCAL_CACHE_TTL, and tombstones of revoked ones), Redis `token:{hash}`
 * for the token's remaining lifetime (±10 %), and a Bloom filter of every
 * live token so a forged token costs no database query. The filter learns
 * tokens as they are issued here, from the bus when issued elsewhere, and
 * from the store (every 2 s while the bus is down; rebuilt every 10 min).
 * Tombstones come from the bus and from the store: the revocations of the
 * last token lifetime at start, then the latest ones every 400 ms; each
 * tombstone lasts until its token would have expired, and the token's
 * Redis copy is deleted (again, once Redis is back, if it could not be).
 */
export class TokenCache extends Context.Service<TokenCache, {
  /** This process's answer, synchronously: the token, "revoked" (a tombstone), or undefined (ask further). */
  readonly local: (hash: string, now: number) => LiveToken | "revoked" | undefined
  readonly mightExist: (hash: string) => boolean
  /** Redis's copy: the token, "absent" (Redis answered, no such key), or "unavailable" (no Redis, or it cannot answer). */
  readonly shared: (hash: string) => Effect.Effect<LiveToken | "absent" | "unavailable">
  readonly sharedAvailable: boolean
  /** Keeps a verified token in this process (and, with `share`, in Redis and every instance's filter). */
  readonly remember: (token: LiveToken, now: number, share: boolean) => Effect.Effect<void>
  /** Tombstones and drops revoked tokens here and in Redis, and tells every instance. */
  readonly forget: (hashes: ReadonlyArray<string>, now: number) => Effect.Effect<void>
}>()("@marketgate/server/Auth/TokenCache") {
  static readonly layer = Layer.effect(
    TokenCache,
    Effect.gen(function*() {
      const settings = yield* AuthSettings
      const redis = yield* AuthRedis
      const events = yield* AuthEvents
      const repo = yield* TokenRepo
      const metrics = yield* AuthMetrics
      const verified = new LocalCache<LiveToken>(LOCAL_CAPACITY)
      const tombstones = new LocalCache<true>(LOCAL_CAPACITY)
      const localMs = Duration.toMillis(settings.localTtl)
      let bloom = new DigestBloomFilter(MIN_BLOOM_CAPACITY)
      let watermark = 0
      const clock = yield* Clock.clockWith(Effect.succeed)

      const load = (after: number) =>
        repo.liveExpiringAfter(after).pipe(
          Effect.map((rows) => {
            for (const row of rows) {
              bloom.add(row.hash)
              if (row.expiresAt > watermark) watermark = row.expiresAt
            }
            return rows.length
          })
        )
      const rebuild = Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const rows = yield* repo.liveExpiringAfter(now)
        const next = new DigestBloomFilter(Math.max(MIN_BLOOM_CAPACITY, rows.length * 2))
        for (const row of rows) {
          next.add(row.hash)
          if (row.expiresAt > watermark) watermark = row.expiresAt
        }
        bloom = next
      })
      yield* rebuild.pipe(Effect.orDie)
      yield* Effect.forkScoped(
        rebuild.pipe(Effect.ignore, Effect.repeat(Schedule.spaced(REBUILD_EVERY)), Effect.delay(REBUILD_EVERY))
      )
      // Polling only while the bus cannot tell us: every issuer publishes what it issues.
      const busHealthy = redis.enabled ? redis.command("ping", (c) => c.ping()).pipe(Effect.as(true), Effect.orElseSucceed(() => false)) : Effect.succeed(false)
      yield* Effect.forkScoped(
        Effect.gen(function*() {
          if (bloom.saturated) return yield* rebuild
          if (yield* busHealthy) return
          yield* load(watermark - POLL_OVERLAP_MS)
        }).pipe(Effect.ignore, Effect.repeat(Schedule.spaced(POLL_EVERY)))
      )

      const key = (hash: string) => redis.key(`token:${hash}`)
      const tombstone = (hash: string, until: number) => {
        verified.delete(hash)
        // Until the token would have expired anyway: a later fill of it must not resurrect it.
        tombstones.set(hash, true, until)
      }
      // Revoked tokens whose Redis copy may still be there: deleted as soon as Redis answers.
      const staleCopies = new Set<string>()
      const deleteStaleCopies = Effect.suspend(() => {
        if (!redis.enabled || staleCopies.size === 0) return Effect.void
        const batch = [...staleCopies].slice(0, DELETE_BATCH)
        return redis.command("del", (c) => c.del(...batch.map(key))).pipe(
          Effect.map(() => batch.forEach((h) => staleCopies.delete(h))),
          Effect.ignore
        )
      })
      // revoked_at is each revoker's clock: the overlap covers commit order and skew.
      let revokedWatermark = 0
      const learnRevocations = (after: number) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const rows = yield* repo.revokedAfter(after, now)
          for (const row of rows) {
            if (row.revokedAt > revokedWatermark) revokedWatermark = row.revokedAt
            if (tombstones.get(row.hash, now) !== undefined) continue
            tombstone(row.hash, row.expiresAt)
            if (redis.enabled) staleCopies.add(row.hash)
          }
          yield* deleteStaleCopies
        })
      {
        const now = yield* Clock.currentTimeMillis
        revokedWatermark = now
        yield* learnRevocations(now - Duration.toMillis(settings.tokenTtl) - POLL_OVERLAP_MS).pipe(Effect.orDie)
      }
      yield* Effect.forkScoped(
        Effect.suspend(() => learnRevocations(revokedWatermark - POLL_OVERLAP_MS)).pipe(
          Effect.ignore,
          Effect.repeat(Schedule.spaced(REVOCATIONS_EVERY)),
          Effect.delay(REVOCATIONS_EVERY)
        )
      )

      yield* events.listen((event) => {
        if (event.t === "token-issued") bloom.add(event.h)
        else if (event.t === "token-revoked") tombstone(event.h, clock.currentTimeMillisUnsafe() + Duration.toMillis(settings.tokenTtl))
        else if (event.t === "client-changed") verified.deleteWhere((t) => t.clientId === event.id)
      })
      const toWire = (t: LiveToken) =>
        JSON.stringify({ c: t.clientId, n: t.clientName, r: t.role, s: t.scope, i: t.issuedAt, e: t.expiresAt, l: t.rateLimit })

      return TokenCache.of({
        local: (hash, now) => {
          if (tombstones.get(hash, now) !== undefined) return "revoked"
          const token = verified.get(hash, now)
          if (token !== undefined) metrics.cacheHit("token", "local")
          return token
        },
        mightExist: (hash) => bloom.mightContain(hash),
        sharedAvailable: redis.enabled,
        shared: (hash) =>
          redis.command("get", (c) => c.get(key(hash))).pipe(
            Effect.map((raw): LiveToken | "absent" => {
              if (raw === null) return "absent"
              const wire = decodeWire(raw)
              if (wire._tag === "None") return "absent"
              const w = wire.value
              metrics.cacheHit("token", "redis")
              return { hash, clientId: w.c, clientName: w.n, role: w.r, scope: w.s, issuedAt: w.i, expiresAt: w.e, rateLimit: w.l } satisfies LiveToken
            }),
            Effect.orElseSucceed(() => "unavailable" as const)
          ),
        remember: (token, now, share) =>
          Effect.suspend(() => {
            verified.set(token.hash, token, Math.min(now + localMs, token.expiresAt))
            bloom.add(token.hash)
            if (!share || !redis.enabled) return Effect.void
            const ms = Math.max(1_000, jittered(token.expiresAt - now))
            return Effect.ignore(redis.command("set", (c) => c.set(key(token.hash), toWire(token), "PX", ms)))
          }),
        forget: (hashes, now) =>
          Effect.gen(function*() {
            for (const hash of hashes) tombstone(hash, now + Duration.toMillis(settings.tokenTtl))
            if (redis.enabled && hashes.length > 0) {
              const deleted = yield* Effect.exit(redis.command("del", (c) => c.del(...hashes.map(key))))
              // Redis is down: its copies go once it answers again (the revocation poll retries).
              if (deleted._tag === "Failure") hashes.forEach((h) => staleCopies.add(h))
            }
            yield* Effect.forEach(hashes, (h) => events.publish({ t: "token-revoked", h }), { discard: true })
          })
      })
    })
  )
}
