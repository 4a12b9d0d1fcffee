import { Effect, Exit, Layer, Option, Queue, Request, RequestResolver } from "effect"
import * as Prom from "prom-client"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"
import { type CacheEntry, fromWire, toWire, type WireFormatError } from "./CacheEntry.ts"
import { type CacheTier, CacheTierError } from "./CacheTier.ts"
import { RedisCacheClient } from "./RedisCacheClient.ts"
import { SharedTier } from "./SharedTier.ts"

/** Keys per MGET: bounds the reply Redis builds, and the time it blocks other clients. */
const MAX_BATCH_READS = 256
/** L2 writes waiting for the writer; past this, new ones are dropped (counted). */
const WRITE_BEHIND_CAPACITY = 10_000
/** Writes per script call. */
const MAX_BATCH_WRITES = 256

/** One L2 read of a raw wire string (null: no such key), batched into MGETs. */
interface RawRead extends Request.Request<string | null, CacheTierError> {
  readonly _tag: "RawRead"
  readonly key: string
}
const RawRead = Request.tagged<RawRead>("RawRead")

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

/** One L2 write off the request path: an entry to store, a fill lock to release, or both. */
interface PendingWrite {
  readonly entryKey: string
  readonly lockKey: string
  /** "" when there is no lock to release. */
  readonly token: string
  readonly entry: CacheEntry<unknown> | undefined
}

/** Redis MATCH treats `*`, `?`, `[`, `]` and `\\` as pattern syntax; a prefix is literal. */
const globEscape = (text: string) => text.replace(/[*?[\]\\]/g, "\\$&")

const undecodable = (exit: Exit.Failure<unknown, WireFormatError>) => {
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  return new CacheTierError({ level: "l2", operation: "decode", reason: reason === undefined ? "unreadable" : reason.error.message })
}

/** The shared tier on Redis: reads batched into MGETs, writes behind the request in batched script calls. */
export const layer = Layer.effect(
  SharedTier,
  Effect.gen(function*() {
    const redis = yield* RedisCacheClient
    const { client, command } = redis
    const { registry } = yield* MetricsRegistry
    client.defineCommand("mgWriteBehind", { lua: WRITE_BEHIND })
    const writeScript = client as unknown as { readonly mgWriteBehind: (...keysThenArgs: ReadonlyArray<string | number>) => Promise<number> }

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
        return command("writeBehind", () => writeScript.mgWriteBehind(keys.length, ...keys, ...args)).pipe(Effect.ignore)
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

    const tier: CacheTier = {
      level: "l2",
      get: (kind, k, codec, now) =>
        Effect.flatMap(Effect.request(RawRead({ key: redis.entryKey(kind, k) }), reads), (raw) => {
          if (raw === null) return Effect.succeed(Option.none())
          const entry = fromWire(raw, codec)
          if (Exit.isFailure(entry)) return Effect.fail(undecodable(entry))
          return Effect.succeed(entry.value.staleUntil > now ? Option.some(entry.value) : Option.none())
        }),
      set: (kind, k, entry, now) =>
        Effect.asVoid(command("set", () => client.set(redis.entryKey(kind, k), toWire(entry), "PX", Math.max(1, entry.staleUntil - now)))),
      delete: (kind, k) => Effect.asVoid(command("del", () => client.del(redis.entryKey(kind, k)))),
      deletePrefix: (kind, prefix) =>
        Effect.gen(function*() {
          // SCAN, never KEYS: the keyspace may be large and Redis single-threaded.
          // Each step is its own timed command, so a long sweep is not cut off
          // by one command's timeout (and does not run on after it).
          const pattern = `${globEscape(redis.entryKey(kind, prefix))}*`
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

    return SharedTier.of({
      enabled: true,
      tier,
      writeBehind: (kind, k, entry, token) =>
        Effect.sync(() => {
          if (entry === undefined && token === undefined) return
          const queued = Queue.offerUnsafe(pending, { entryKey: redis.entryKey(kind, k), lockKey: redis.lockKey(kind, k), token: token ?? "", entry })
          if (!queued) droppedWrites.inc()
        })
    })
  })
)
