import { Config, Duration, Effect, Exit, Layer, Option, Queue, Redacted, Request, RequestResolver, Schema } from "effect"
import { Redis } from "ioredis"
import * as Prom from "prom-client"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"
import type { BreakerSettings, Outcome } from "../Resilience/BreakerMachine.ts"
import { makeCircuitBreaker } from "../Resilience/CircuitBreaker.ts"
import { type CacheCodec, type CacheEntry, entryKey, fromWire, toWire, type WireFormatError } from "./CacheEntry.ts"
import { type CacheKind, cacheKinds } from "./CachePolicy.ts"
import { type CacheTier, CacheTierError } from "./CacheTier.ts"
import { type Invalidation, RemoteCache, type SharedRead } from "./RemoteCache.ts"

export interface RedisCacheOptions {
  readonly url: Redacted.Redacted<string>
  /** Key prefix; the format version is part of it (`mg:v1`). */
  readonly namespace: string
  /** Per command: a slow Redis must not slow requests down. */
  readonly timeout: Duration.Duration
}

/** Redis fails fast: three errors in a row open the breaker for 1 s, doubling up to 30 s. */
const breakerSettings: BreakerSettings = {
  consecutiveFailures: 3,
  failureRate: 0.5,
  windowSize: 20,
  minimumCalls: 10,
  openMs: 1_000,
  maxOpenMs: 30_000
}

const CONNECT_TIMEOUT_MS = 1_000

/** Keys per MGET: bounds the reply Redis builds, and the time it blocks other clients. */
const MAX_BATCH_READS = 256

/** One L2 read of a raw wire string (null: no such key), batched into MGETs. */
interface RawRead extends Request.Request<string | null, CacheTierError> {
  readonly _tag: "RawRead"
  readonly key: string
}
const RawRead = Request.tagged<RawRead>("RawRead")

/** What READ_OR_LOCK found for one key: the wire string, or whether its lock is now ours. */
type LockedRead = { readonly _tag: "Value"; readonly raw: string } | { readonly _tag: "Locked"; readonly token: string } | { readonly _tag: "Busy" }

/** One read of a key missing from L1 that takes its lock when L2 misses too, batched into READ_OR_LOCK calls. */
interface ReadOrLockRequest extends Request.Request<LockedRead, CacheTierError> {
  readonly _tag: "ReadOrLock"
  readonly entryKey: string
  readonly lockKey: string
  readonly lockMs: number
}
const ReadOrLockRequest = Request.tagged<ReadOrLockRequest>("ReadOrLock")

const success: Outcome = { _tag: "Success" }
const failure: Outcome = { _tag: "Failure" }

const undecodable = (exit: Exit.Failure<unknown, WireFormatError>) => {
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  return new CacheTierError({ level: "l2", operation: "decode", reason: reason === undefined ? "unreadable" : reason.error.message })
}

interface ConnectionSettings {
  readonly lazyConnect: boolean
  readonly enableOfflineQueue: boolean
  readonly maxRetriesPerRequest: number | null
  readonly connectTimeout: number
  readonly enableAutoPipelining: boolean
  readonly retryStrategy: (times: number) => number
}

/** Redis MATCH treats `*`, `?`, `[`, `]` and `\\` as pattern syntax; a prefix is literal. */
const globEscape = (text: string) => text.replace(/[*?[\]\\]/g, "\\$&")

/**
 * KEYS: entry and lock of each key, in pairs; ARGV: token, lock ms. For each
 * key, its entry if L2 has it; else 1 when its lock was free (now ours) or 0
 * when another instance holds it. One round trip for a whole batch of misses,
 * for what would be GET, SET NX and a second GET per key (the holder may
 * store and unlock between a plain GET and SET NX). Every key of a call must
 * live on one Redis node: a single instance or a replicated primary, not
 * Cluster (docs/caching.md).
 */
const READ_OR_LOCK = `local out = {}
for i = 1, #KEYS, 2 do
  local value = redis.call("GET", KEYS[i])
  if value then
    out[#out + 1] = value
  elseif redis.call("SET", KEYS[i + 1], ARGV[1], "PX", ARGV[2], "NX") then
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out`

/**
 * KEYS: entry and lock of each write, in pairs; ARGV: token, wire form and
 * entry ms of each, in threes ("" for no entry to store or no lock to
 * release). Stores each entry, then deletes its lock only if it still holds
 * our token (it may have expired and been taken over).
 */
const WRITE_BEHIND = `for i = 1, #KEYS / 2 do
  local token, wire, ms = ARGV[3 * i - 2], ARGV[3 * i - 1], ARGV[3 * i]
  if wire ~= "" then redis.call("SET", KEYS[2 * i - 1], wire, "PX", ms) end
  if token ~= "" and redis.call("GET", KEYS[2 * i]) == token then redis.call("DEL", KEYS[2 * i]) end
end
return #KEYS / 2`

/** L2 writes waiting for the writer; past this, new ones are dropped (counted). */
const WRITE_BEHIND_CAPACITY = 10_000
/** Writes per script call. */
const MAX_BATCH_WRITES = 256

/** One L2 write off the request path: an entry to store, a fill lock to release, or both. */
interface PendingWrite {
  readonly entryKey: string
  readonly lockKey: string
  /** "" when there is no lock to release. */
  readonly token: string
  readonly entry: CacheEntry<unknown> | undefined
}

/** The commands `defineCommand` adds (EVALSHA, falling back to EVAL once after a Redis restart). */
interface CacheScripts {
  readonly mgReadOrLock: (...keysThenArgs: ReadonlyArray<string | number>) => Promise<ReadonlyArray<string | number>>
  readonly mgWriteBehind: (...keysThenArgs: ReadonlyArray<string | number>) => Promise<number>
}

const InvalidationMessage = Schema.fromJsonString(
  Schema.Struct({
    kind: Schema.Literals(cacheKinds),
    key: Schema.optionalKey(Schema.String),
    prefix: Schema.optionalKey(Schema.String),
    origin: Schema.String
  })
)

/**
 * The shared tier on Redis (ioredis). Commands time out quickly and sit
 * behind a circuit breaker: while Redis is down every call answers "nothing
 * shared" at once, the service keeps serving from L1, the store and the
 * providers, ioredis reconnects by itself, and the breaker's probe notices.
 * Each transition is logged once, not once per request.
 */
export const makeRedisRemoteCache = (options: RedisCacheOptions) =>
  Effect.gen(function*() {
    const { registry } = yield* MetricsRegistry
    const errors = new Prom.Counter({
      name: "cache_l2_errors_total",
      help: "Redis commands that failed or timed out (answered as a miss)",
      labelNames: ["operation"],
      registers: [registry]
    })
    const up = new Prom.Gauge({ name: "cache_l2_up", help: "1 while the Redis tier's breaker is closed", registers: [registry] })
    up.set(1)
    const url = Redacted.value(options.url)
    const connection: ConnectionSettings = {
      lazyConnect: true,
      // Fail at once while disconnected instead of queueing: the breaker decides.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Commands issued in one tick go out in one write: L1 misses of
      // concurrent requests share a round trip instead of a syscall each.
      enableAutoPipelining: true,
      retryStrategy: (times: number) => Math.min(times * 200, 2_000)
    }
    /**
     * Opens a connection and waits (up to `connectTimeout`) for it to be ready,
     * so the first commands do not fail and trip the breaker. A Redis that is
     * down does not stop the service starting: ioredis keeps reconnecting.
     */
    const open = (settings: ConnectionSettings) =>
      Effect.acquireRelease(
        Effect.promise(async () => {
          const redis = new Redis(url, settings)
          // Without a listener ioredis prints every refused reconnect.
          redis.on("error", () => {})
          await redis.connect().catch(() => {})
          return redis
        }),
        (redis) => Effect.promise(() => redis.quit().catch(() => redis.disconnect()))
      )
    const client = yield* open(connection)
    client.defineCommand("mgReadOrLock", { lua: READ_OR_LOCK })
    client.defineCommand("mgWriteBehind", { lua: WRITE_BEHIND })
    const scripts = client as unknown as CacheScripts
    // Subscribing waits for the connection: its commands may queue.
    const subscriber = yield* open({
      ...connection,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      enableAutoPipelining: false
    })

    const breaker = yield* makeCircuitBreaker(breakerSettings, (t) => {
      up.set(t.to === "Closed" ? 1 : 0)
      if (t.to === "Open" && t.from === "Closed") {
        return Effect.logWarning("cache L2 (Redis) unavailable; serving from L1, the store and providers")
      }
      if (t.to === "Closed") return Effect.logInfo("cache L2 (Redis) is back")
      return Effect.void
    })

    const classify = (exit: Exit.Exit<unknown, unknown>) => (Exit.isSuccess(exit) ? success : failure)
    const unavailable = (operation: string) => () =>
      new CacheTierError({ level: "l2", operation, reason: "Redis is unavailable (breaker open)" })

    /**
     * Fails the command when Redis has not answered within `options.timeout`.
     * The timer yields once before it counts: when a burst of work blocked the
     * event loop past the deadline, a reply that arrived meanwhile is read
     * first, so only a slow Redis is a timeout, not a busy process.
     */
    const expiry = (operation: string) =>
      Effect.sleep(options.timeout).pipe(
        Effect.andThen(Effect.yieldNow),
        Effect.andThen(Effect.failSync(() => new CacheTierError({ level: "l2", operation, reason: `no reply within ${Duration.format(options.timeout)}` })))
      )

    /** One Redis command, timed out, behind the breaker, its failure a CacheTierError (counted). */
    const command = <A>(operation: string, run: () => Promise<A>): Effect.Effect<A, CacheTierError> =>
      breaker.execute(
        Effect.raceFirst(
          Effect.tryPromise({ try: run, catch: (e) => new CacheTierError({ level: "l2", operation, reason: String(e) }) }),
          expiry(operation)
        ).pipe(Effect.tapError(() => Effect.sync(() => errors.inc({ operation })))),
        classify,
        unavailable(operation)
      )

    const key = (kind: Parameters<CacheTier["get"]>[0], k: string) => entryKey(options.namespace, kind, k)

    const missWithoutLock = { _tag: "Miss", token: undefined } as const
    const busy = { _tag: "Busy" } as const

    // Writes off the request path (a loaded value and its lock, a refreshed
    // value) wait here; one writer sends whatever has queued up as one script
    // call, so a burst of loads costs Redis one command, not one each.
    const pending = yield* Queue.dropping<PendingWrite>(WRITE_BEHIND_CAPACITY)
    const droppedWrites = new Prom.Counter({
      name: "cache_l2_writes_dropped_total",
      help: "L2 writes dropped because the write-behind queue was full (Redis slow or down)",
      registers: [registry]
    })
    const flush = (writes: ReadonlyArray<PendingWrite>) =>
      Effect.clockWith((clock) => {
        const now = clock.currentTimeMillisUnsafe()
        const keys: Array<string> = []
        const args: Array<string | number> = []
        for (const w of writes) {
          // An entry that expired while it waited is not written.
          const live = w.entry !== undefined && w.entry.staleUntil > now ? w.entry : undefined
          keys.push(w.entryKey, w.lockKey)
          args.push(w.token, live === undefined ? "" : toWire(live), live === undefined ? 1 : live.staleUntil - now)
        }
        return command("writeBehind", () => scripts.mgWriteBehind(keys.length, ...keys, ...args)).pipe(Effect.ignore)
      })
    yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.takeBetween(pending, 1, MAX_BATCH_WRITES), flush)))
    // Shutting down: what is still queued is sent before the connection closes.
    yield* Effect.addFinalizer(() => Effect.flatMap(Queue.clear(pending), (rest) => (rest.length === 0 ? Effect.void : flush(rest))))

    // Reads issued in one turn of the event loop (the L1 misses of concurrent
    // requests) are answered by one MGET: one command, one breaker call and
    // one reply to parse instead of one each. A failed MGET fails every read
    // in it; a value that does not decode fails only its own read.
    const reads = RequestResolver.make<RawRead>((entries) =>
      command("mget", () => client.mget(entries.map((entry) => entry.request.key))).pipe(
        Effect.match({
          onFailure: (error) => {
            for (const entry of entries) entry.completeUnsafe(Exit.fail(error))
          },
          onSuccess: (values) => {
            entries.forEach((entry, i) => entry.completeUnsafe(Exit.succeed(values[i] ?? null)))
          }
        })
      )
    ).pipe(RequestResolver.batchN(MAX_BATCH_READS))

    // Misses of one turn share one script call; a key asked for twice in it
    // is read (and locked) once, and both askers get the same answer, so the
    // token goes to whichever starts the load (the other joins that load).
    const lockedReads = RequestResolver.makeGrouped<ReadOrLockRequest, number>({
      key: (entry) => entry.request.lockMs,
      resolver: (entries, lockMs) => {
        const byKey = new Map<string, { readonly lockKey: string; readonly waiting: Array<Request.Entry<ReadOrLockRequest>> }>()
        for (const entry of entries) {
          const same = byKey.get(entry.request.entryKey)
          if (same === undefined) byKey.set(entry.request.entryKey, { lockKey: entry.request.lockKey, waiting: [entry] })
          else same.waiting.push(entry)
        }
        const keys: Array<string> = []
        for (const [entryKey, { lockKey }] of byKey) keys.push(entryKey, lockKey)
        const token = crypto.randomUUID()
        return command("readOrLock", () => scripts.mgReadOrLock(keys.length, ...keys, token, lockMs)).pipe(
          Effect.match({
            onFailure: (error) => {
              for (const entry of entries) entry.completeUnsafe(Exit.fail(error))
            },
            onSuccess: (replies) => {
              let i = 0
              for (const { waiting } of byKey.values()) {
                const reply = replies[i++]
                const read: LockedRead = typeof reply === "string"
                  ? { _tag: "Value", raw: reply }
                  : reply === 1
                  ? { _tag: "Locked", token }
                  : busy
                for (const entry of waiting) entry.completeUnsafe(Exit.succeed(read))
              }
            }
          })
        )
      }
    }).pipe(RequestResolver.batchN(MAX_BATCH_READS))

    const tier: CacheTier = {
      level: "l2",
      get: (kind, k, codec, now) =>
        Effect.flatMap(Effect.request(RawRead({ key: key(kind, k) }), reads), (raw) => {
          if (raw === null) return Effect.succeed(Option.none())
          const entry = fromWire(raw, codec)
          if (Exit.isFailure(entry)) return Effect.fail(undecodable(entry))
          return Effect.succeed(entry.value.staleUntil > now ? Option.some(entry.value) : Option.none())
        }),
      set: (kind, k, entry, now) =>
        Effect.asVoid(
          command("set", () => client.set(key(kind, k), toWire(entry), "PX", Math.max(1, entry.staleUntil - now)))
        ),
      delete: (kind, k) => Effect.asVoid(command("del", () => client.del(key(kind, k)))),
      deletePrefix: (kind, prefix) =>
        Effect.gen(function*() {
          // SCAN, never KEYS: the keyspace may be large and Redis single-threaded.
          // Each step is its own timed command, so a long sweep is not cut off
          // by one command's timeout (and does not run on after it).
          const pattern = `${globEscape(key(kind, prefix))}*`
          let cursor = "0"
          let deleted = 0
          do {
            const [next, keys] = yield* command("scan", () => client.scan(cursor, "MATCH", pattern, "COUNT", 500))
            cursor = next
            if (keys.length > 0) deleted += yield* command("del", () => client.del(...keys))
          } while (cursor !== "0")
          return deleted
        })
    }

    const lockKey = (kind: Parameters<CacheTier["get"]>[0], k: string) => `${options.namespace}:lock:${kind}:${k}`
    const channel = `${options.namespace}:invalidate`
    const hotKey = `${options.namespace}:hot`

    return RemoteCache.of({
      enabled: true,
      tier,
      readOrLock: <A>(kind: CacheKind, k: string, codec: CacheCodec<A>, now: number, lockTtl: Duration.Duration) =>
        Effect.request(ReadOrLockRequest({ entryKey: key(kind, k), lockKey: lockKey(kind, k), lockMs: Duration.toMillis(lockTtl) }), lockedReads).pipe(
          Effect.map((read): SharedRead<A> => {
            if (read._tag === "Locked") return { _tag: "Miss", token: read.token }
            if (read._tag === "Busy") return busy
            const entry = fromWire(read.raw, codec)
            if (Exit.isFailure(entry)) {
              // Unreadable (another format, or corrupt): load and overwrite it, without the lock.
              errors.inc({ operation: "decode" })
              return missWithoutLock
            }
            // Expired in our clock, not yet in Redis': as good as absent.
            return entry.value.staleUntil > now ? { _tag: "Hit", entry: entry.value } : missWithoutLock
          }),
          Effect.orElseSucceed((): SharedRead<A> => missWithoutLock)
        ),
      writeBehind: (kind, k, entry, token) =>
        Effect.sync(() => {
          if (entry === undefined && token === undefined) return
          const queued = Queue.offerUnsafe(pending, { entryKey: key(kind, k), lockKey: lockKey(kind, k), token: token ?? "", entry })
          if (!queued) droppedWrites.inc()
        }),
      publish: (message) => command("publish", () => client.publish(channel, JSON.stringify(message))).pipe(Effect.ignore),
      subscribe: (handler) =>
        Effect.gen(function*() {
          const decode = Schema.decodeUnknownOption(InvalidationMessage)
          const services = yield* Effect.context<never>()
          const listener = (ch: string, message: string) => {
            if (ch !== channel) return
            const parsed = decode(message)
            if (Option.isSome(parsed)) Effect.runForkWith(services)(handler(parsed.value as Invalidation))
          }
          // Awaited (briefly): an invalidation published just after start-up
          // must not be missed. If Redis is down the subscription is queued
          // and ioredis subscribes again when it reconnects.
          yield* Effect.acquireRelease(
            Effect.sync(() => {
              subscriber.on("message", listener)
              return subscriber.subscribe(channel).catch(() => 0)
            }),
            () => Effect.sync(() => void subscriber.off("message", listener))
          ).pipe(
            Effect.flatMap((subscribed) => Effect.promise(() => subscribed)),
            Effect.timeoutOrElse({ duration: Duration.millis(CONNECT_TIMEOUT_MS), orElse: () => Effect.void })
          )
        }),
      recordHits: (counts) =>
        command("hot", () => {
          const pipeline = client.pipeline()
          for (const [symbol, n] of counts) pipeline.zincrby(hotKey, n, symbol)
          return pipeline.exec()
        }).pipe(Effect.ignore),
      hottest: (n) => command("hottest", () => client.zrevrange(hotKey, 0, n - 1)).pipe(Effect.orElseSucceed(() => []))
    })
  })

export const layer = (options: RedisCacheOptions) => Layer.effect(RemoteCache, makeRedisRemoteCache(options))

/** `REDIS_URL` set: the Redis tier; unset: L1 only. */
export const layerConfig = Layer.unwrap(
  Effect.gen(function*() {
    const url = yield* Config.option(Config.Redacted("REDIS_URL"))
    if (Option.isNone(url) || Redacted.value(url.value).length === 0) return RemoteCache.layerNone
    const timeout = yield* Config.Duration("CACHE_L2_TIMEOUT").pipe(Config.withDefault(Duration.millis(100)))
    const namespace = yield* Config.String("CACHE_NAMESPACE").pipe(Config.withDefault("mg:v1"))
    return layer({ url: url.value, namespace, timeout })
  })
)
