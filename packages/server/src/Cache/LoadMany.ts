import { Clock, Deferred, Effect, Exit, FiberSet, Option } from "effect"
import { RequestFacts } from "../Observability/RequestFacts.ts"
import { type CacheCore, noStack, store } from "./CacheCore.ts"
import type { CacheCodec, CacheEntry } from "./CacheEntry.ts"
import type { CacheKind } from "./CachePolicy.ts"
import type { Pending } from "./SingleFlight.ts"

/**
 * Many keys of one kind (quotes for many symbols): L1, then one pipelined L2
 * read for the misses, then one `loadMissing` call for what is still missing
 * (keys another request is already filling are awaited instead). Stale keys
 * are served and refreshed by one batched call.
 */
export const getOrLoadMany = <A, E, R>(
  core: CacheCore,
  kind: CacheKind,
  codec: CacheCodec<A>,
  keys: ReadonlyArray<string>,
  loadMissing: (keys: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, A>, E, R>
): Effect.Effect<ReadonlyMap<string, A>, E, R> =>
  Effect.gen(function*() {
    const { flights, l1, metrics, shared } = core
    const counters = metrics.byKind[kind]
    const facts = yield* RequestFacts
    const now = yield* Clock.currentTimeMillis
    const found = new Map<string, A>()
    const staleKeys: Array<string> = []
    let worst: "l1" | "l2" = "l1"
    const servedMany = (level: "l1" | "l2", key: string, entry: CacheEntry<A>) => {
      const tier = counters[level]
      found.set(key, entry.value)
      tier.hit.inc()
      facts.reads?.push({ kind, key, entry })
      if (now >= entry.freshUntil) {
        tier.stale.inc()
        facts.cacheStale = true
        staleKeys.push(key)
      }
    }
    let missing: Array<string> = []
    for (const key of keys) {
      facts.cacheLookups++
      const e1 = l1.get<A>(kind, key, now)
      if (e1 === undefined) missing.push(key)
      else servedMany("l1", key, e1)
    }
    if (missing.length > 0) counters.l1.miss.inc(missing.length)
    if (shared.enabled && missing.length > 0) {
      worst = "l2"
      // Issued together, the reads leave in one pipelined write.
      const fromL2 = yield* Effect.forEach(missing, (key) =>
        shared.tier.get(kind, key, codec, now).pipe(
          Effect.orElseSucceed(() => Option.none<CacheEntry<A>>()),
          Effect.map((e) => [key, e] as const)
        ), { concurrency: 16 })
      missing = []
      for (const [key, e2] of fromL2) {
        if (Option.isNone(e2)) missing.push(key)
        else {
          l1.set(kind, key, e2.value, now)
          servedMany("l2", key, e2.value)
        }
      }
      if (missing.length > 0) counters.l2.miss.inc(missing.length)
    }
    // One batched refresh for the stale keys not already being refreshed.
    const todo = staleKeys.filter((key) => !core.refreshes.isRefreshing(kind, key))
    if (todo.length > 0) {
      yield* core.refreshes.refresh(
        kind,
        todo,
        Effect.flatMap(loadMissing(todo), (loaded) =>
          Effect.forEach(loaded, ([key, value]) => store(core, { kind, key, codec }, value), { discard: true }))
      )
    }
    yield* Effect.annotateCurrentSpan({ "cache.stale": staleKeys.length > 0 })
    if (missing.length === 0) {
      yield* Effect.annotateCurrentSpan({ "cache.level": worst, "cache.hit": true })
      return found
    }
    facts.cacheMisses += missing.length
    yield* Effect.annotateCurrentSpan({ "cache.level": "load", "cache.hit": false, "cache.missed": missing.length })
    // Keys another request is already filling are awaited, the rest loaded in one call.
    const waits: Array<readonly [string, Pending<A, E>]> = []
    const mine: Array<string> = []
    for (const key of missing) {
      const running = flights.get<A, E>(kind, key)
      if (running !== undefined) {
        counters.joinedProcess.inc()
        waits.push([key, running])
      } else mine.push(key)
    }
    if (mine.length > 0) {
      const deferreds = new Map<string, Pending<A, E>>()
      for (const key of mine) {
        const d = flights.start<A, E>(kind, key)
        deferreds.set(key, d)
        waits.push([key, d])
      }
      yield* FiberSet.run(
        core.background,
        Effect.exit(loadMissing(mine)).pipe(
          Effect.tap((exit) => Effect.sync(() => metrics.loads.inc({ policy: kind, outcome: Exit.isSuccess(exit) ? "success" : "failure" }))),
          Effect.flatMap((exit) =>
            Effect.forEach(mine, (key) =>
              Effect.gen(function*() {
                const d = deferreds.get(key)!
                if (Exit.isFailure(exit)) return yield* Deferred.failCause(d, exit.cause)
                const value = exit.value.get(key)
                if (value !== undefined) yield* store(core, { kind, key, codec }, value)
                return yield* Deferred.succeed(d, value === undefined ? Option.none() : Option.some({ value, level: "load", stale: false }))
              }))
          ),
          Effect.ensuring(Effect.sync(() => mine.forEach((key) => flights.finish(kind, key))))
        )
      )
    }
    for (const [key, d] of waits) {
      const filled = yield* Deferred.await(d)
      if (Option.isSome(filled)) found.set(key, filled.value.value)
    }
    return found
  }).pipe(Effect.withSpan("Cache.lookupMany", { attributes: { "cache.policy": kind, keys: keys.length } }, noStack))
