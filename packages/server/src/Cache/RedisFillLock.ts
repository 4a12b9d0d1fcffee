import { Duration, Effect, Exit, Layer, Request, RequestResolver } from "effect"
import { type CacheCodec, fromWire } from "./CacheEntry.ts"
import type { CacheKind } from "./CachePolicy.ts"
import type { CacheTierError } from "./CacheTier.ts"
import { FillLock, type SharedRead } from "./FillLock.ts"
import { RedisCacheClient } from "./RedisCacheClient.ts"

/** Keys per script call: bounds the reply Redis builds, and the time it blocks other clients. */
const MAX_BATCH_READS = 256

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

/**
 * KEYS: entry and lock of each key, in pairs; ARGV: token, lock ms. For each
 * key, its entry if L2 has it; else 1 when its lock was free (now ours) or 0
 * when another instance holds it. One round trip for a whole batch of misses,
 * for what would be GET, SET NX and a second GET per key (the holder may
 * store and unlock between a plain GET and SET NX). Every key of a call must
 * live on one Redis node: a single instance or a replicated primary, not
 * Cluster (docs/caching.md). The lock is released by the shared tier's
 * write-behind (RedisSharedTier.ts), with the value, in one command.
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

const missWithoutLock = { _tag: "Miss", token: undefined } as const
const busy = { _tag: "Busy" } as const

/** The fill lock on Redis: READ_OR_LOCK, the misses of one turn in one script call. */
export const layer = Layer.effect(
  FillLock,
  Effect.gen(function*() {
    const redis = yield* RedisCacheClient
    const { client, command } = redis
    client.defineCommand("mgReadOrLock", { lua: READ_OR_LOCK })
    const script = client as unknown as { readonly mgReadOrLock: (...keysThenArgs: ReadonlyArray<string | number>) => Promise<ReadonlyArray<string | number>> }

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
        return command("readOrLock", () => script.mgReadOrLock(keys.length, ...keys, token, lockMs)).pipe(
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

    return FillLock.of({
      readOrLock: <A>(kind: CacheKind, k: string, codec: CacheCodec<A>, now: number, lockTtl: Duration.Duration) =>
        Effect.request(
          ReadOrLockRequest({ entryKey: redis.entryKey(kind, k), lockKey: redis.lockKey(kind, k), lockMs: Duration.toMillis(lockTtl) }),
          lockedReads
        ).pipe(
          Effect.map((read): SharedRead<A> => {
            if (read._tag === "Locked") return { _tag: "Miss", token: read.token }
            if (read._tag === "Busy") return busy
            const entry = fromWire(read.raw, codec)
            if (Exit.isFailure(entry)) {
              // Unreadable (another format, or corrupt): load and overwrite it, without the lock.
              redis.countError("decode")
              return missWithoutLock
            }
            // Expired in our clock, not yet in Redis': as good as absent.
            return entry.value.staleUntil > now ? { _tag: "Hit", entry: entry.value } : missWithoutLock
          }),
          Effect.orElseSucceed((): SharedRead<A> => missWithoutLock)
        )
    })
  })
)
