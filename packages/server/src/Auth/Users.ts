import type { Role } from "@marketgate/domain/Auth"
import { Context, Duration, Effect, Layer, Schedule, Schema } from "effect"
import type { StoreError } from "../Store/StoreError.ts"
import { AuthEvents } from "./AuthEvents.ts"
import { AuthMetrics } from "./AuthMetrics.ts"
import { AuthRedis } from "./AuthRedis.ts"
import { AuthSettings } from "./AuthSettings.ts"
import { DigestBloomFilter } from "./BloomFilter.ts"
import { jittered } from "./Jitter.ts"
import { LocalCache } from "./LocalCache.ts"
import { type UserRecord, UserRepo } from "./UserRepo.ts"

/** What a request needs to know of a user: no hash, no secret. */
export interface UserView {
  readonly id: string
  readonly username: string
  readonly role: Role
  readonly disabled: boolean
  readonly mfaEnabled: boolean
}

export const viewOf = (u: UserRecord): UserView => ({
  id: u.id,
  username: u.username,
  role: u.role,
  disabled: u.disabled,
  mfaEnabled: u.totpSecret !== null
})

const Wire = Schema.fromJsonString(Schema.Struct({
  u: Schema.String,
  r: Schema.Literals(["viewer", "analyst", "admin"]),
  d: Schema.Boolean,
  m: Schema.Boolean
}))
const decodeWire = Schema.decodeUnknownOption(Wire)

/** How often the filter of known logins is rebuilt (and at once when any instance changes a user). */
const LOGINS_EVERY = Duration.seconds(30)

/**
 * Users by id for every session request: this process (AUTH_LOCAL_CACHE_TTL),
 * Redis `user:{id}` (USER_CACHE_TTL, 5 min ±10 %), then the store. A change
 * (disable, role, MFA) drops the copies everywhere through the bus. A Bloom
 * filter of every username and email answers "no such login" without a
 * database query.
 */
export class Users extends Context.Service<Users, {
  readonly get: (id: string) => Effect.Effect<UserView | undefined, StoreError>
  /**
   * False: certainly no user logs in with this; true: ask the store. While
   * Redis cannot answer, the bus that teaches the filter of users added on
   * other instances is down too: then the store is asked.
   */
  readonly mightExist: (login: string) => Effect.Effect<boolean>
  /** After a change to a user: every instance forgets its copies. */
  readonly changed: (id: string, login?: string) => Effect.Effect<void>
}>()("@marketgate/server/Auth/Users") {
  static readonly layer = Layer.effect(
    Users,
    Effect.gen(function*() {
      const settings = yield* AuthSettings
      const repo = yield* UserRepo
      const redis = yield* AuthRedis
      const events = yield* AuthEvents
      const metrics = yield* AuthMetrics
      const local = new LocalCache<UserView>(50_000)
      const localMs = Duration.toMillis(settings.localTtl)
      const sharedMs = Duration.toMillis(settings.userCacheTtl)
      let logins = new DigestBloomFilter(10_000)
      // Logins learnt since the last rebuild began: a rebuild whose query ran before they were
      // stored must not forget them.
      const recent: Array<string> = []
      const learn = (login: string) => {
        logins.add(login)
        recent.push(login)
      }
      const reload = Effect.suspend(() => {
        const marker = recent.length
        return repo.logins.pipe(
          Effect.map((all) => {
            const next = new DigestBloomFilter(Math.max(10_000, (all.length + recent.length) * 2))
            for (const login of all) next.add(login.toLowerCase())
            for (const login of recent) next.add(login)
            recent.splice(0, marker)
            logins = next
          })
        )
      })
      yield* reload.pipe(Effect.orDie)
      yield* Effect.forkScoped(reload.pipe(Effect.ignore, Effect.repeat(Schedule.spaced(LOGINS_EVERY)), Effect.delay(LOGINS_EVERY)))
      yield* events.listen((event) => {
        if (event.t !== "user-changed") return
        local.delete(event.id)
        if (event.login !== undefined) learn(event.login.toLowerCase())
      })
      const key = (id: string) => redis.key(`user:${id}`)

      const get = (id: string): Effect.Effect<UserView | undefined, StoreError> =>
        Effect.clockWith((clock) => {
          const now = clock.currentTimeMillisUnsafe()
          const cached = local.get(id, now)
          if (cached !== undefined) {
            metrics.cacheHit("user", "local")
            return Effect.succeed(cached)
          }
          const shared = redis.enabled
            ? redis.command("get", (c) => c.get(key(id))).pipe(Effect.orElseSucceed(() => null))
            : Effect.succeed(null)
          return Effect.flatMap(shared, (raw) => {
            const wire = raw === null ? undefined : decodeWire(raw)
            if (wire !== undefined && wire._tag === "Some") {
              metrics.cacheHit("user", "redis")
              const view: UserView = { id, username: wire.value.u, role: wire.value.r, disabled: wire.value.d, mfaEnabled: wire.value.m }
              local.set(id, view, now + localMs)
              return Effect.succeed(view)
            }
            metrics.cacheMiss("user")
            return Effect.flatMap(repo.byId(id), (row) => {
              if (row === undefined) return Effect.succeed(undefined)
              const view = viewOf(row)
              local.set(id, view, now + localMs)
              const wireText = JSON.stringify({ u: view.username, r: view.role, d: view.disabled, m: view.mfaEnabled })
              const store = redis.enabled
                ? Effect.ignore(redis.command("set", (c) => c.set(key(id), wireText, "PX", jittered(sharedMs))))
                : Effect.void
              return Effect.as(store, view)
            })
          })
        })

      const changed = (id: string, login?: string) =>
        Effect.gen(function*() {
          local.delete(id)
          if (redis.enabled) yield* Effect.ignore(redis.command("del", (c) => c.del(key(id))))
          yield* events.publish({ t: "user-changed", id, login: login?.toLowerCase() })
        })

      const busDown = redis.command("ping", (c) => c.ping()).pipe(Effect.as(false), Effect.orElseSucceed(() => true))
      const mightExist = (login: string) =>
        logins.mightContain(login.toLowerCase()) ? Effect.succeed(true) : redis.enabled ? busDown : Effect.succeed(false)

      return Users.of({ get, mightExist, changed })
    })
  )
}
