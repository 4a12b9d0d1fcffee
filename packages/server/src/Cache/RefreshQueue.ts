import { type Context, Effect, Exit, FiberSet, Queue, type Scope } from "effect"
import type { CacheMetrics } from "./CacheMetrics.ts"
import type { CacheKind } from "./CachePolicy.ts"

/** Stale keys waiting for a refresh worker; past this, new refreshes are dropped. */
const REFRESH_BACKLOG = 1_000

// Capturing a stack trace for every span cost ~15 % of cache throughput (bench/cache profile).
const noStack = { captureStackTrace: false } as const

export interface RefreshQueue {
  /**
   * Queues the refresh of stale keys; `work` loads and stores them itself, in
   * the caller's context. Nothing is queued when one of the keys is already
   * being refreshed. Returns at once.
   */
  readonly refresh: <E, R>(kind: CacheKind, keys: ReadonlyArray<string>, work: Effect.Effect<void, E, R>) => Effect.Effect<void, never, R>
  readonly isRefreshing: (kind: CacheKind, key: string) => boolean
}

/**
 * Background refresh of stale keys: at most one per key, at most
 * `concurrency` at once (that many workers on one queue); a failure keeps
 * serving the stale value until its grace runs out. When `REFRESH_BACKLOG`
 * refreshes already wait, a new one is dropped (counted): the stale value is
 * served meanwhile and its next reader asks again, where an endless backlog
 * would refresh keys nobody reads.
 */
export const makeRefreshQueue = (
  concurrency: number,
  metrics: CacheMetrics
): Effect.Effect<RefreshQueue, never, Scope.Scope> =>
  Effect.gen(function*() {
    const workers = yield* FiberSet.make()
    const queue = yield* Queue.dropping<Effect.Effect<void>>(REFRESH_BACKLOG)
    for (let i = 0; i < concurrency; i++) {
      yield* FiberSet.run(workers, Effect.forever(Effect.flatMap(Queue.take(queue), (job) => job)))
    }
    const refreshing = new Set<string>()
    const id = (kind: CacheKind, key: string) => `${kind}:${key}`

    const refresh = <E, R>(kind: CacheKind, keys: ReadonlyArray<string>, work: Effect.Effect<void, E, R>) =>
      Effect.contextWith((context: Context.Context<R>) => {
        const ids = keys.map((key) => id(kind, key))
        if (ids.some((k) => refreshing.has(k))) return Effect.void
        const job = Effect.exit(work).pipe(
          Effect.tap((exit) => {
            metrics.refreshes.inc({ policy: kind, outcome: Exit.isSuccess(exit) ? "success" : "failure" })
            return Exit.isSuccess(exit)
              ? Effect.void
              : Effect.logWarning("cache refresh failed; serving the stale value within its grace period").pipe(
                Effect.annotateLogs({ policy: kind, keys: keys.join(",") })
              )
          }),
          Effect.ensuring(Effect.sync(() => ids.forEach((k) => refreshing.delete(k)))),
          Effect.withSpan("Cache.refresh", { attributes: { "cache.policy": kind } }, noStack),
          Effect.provideContext(context)
        )
        if (!Queue.offerUnsafe(queue, Effect.asVoid(job))) {
          metrics.refreshes.inc({ policy: kind, outcome: "dropped" })
          return Effect.void
        }
        for (const k of ids) refreshing.add(k)
        return Effect.void
      })

    return { refresh, isRefreshing: (kind, key) => refreshing.has(id(kind, key)) }
  })
