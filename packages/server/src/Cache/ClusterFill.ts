import { Duration, Effect } from "effect"
import { type CacheCore, type CacheSpec, loadAndStore, type LoadOptions, refresh } from "./CacheCore.ts"
import type { CacheEntry } from "./CacheEntry.ts"
import type { SharedRead } from "./FillLock.ts"
import type { Filled } from "./SingleFlight.ts"

/** An L2 read that did not find the key: what a fill starts from. */
export type SharedMiss = Exclude<SharedRead<never>, { readonly _tag: "Hit" }>

/** How often a pod waiting on another pod's load looks for its value. */
const LOCK_POLL = Duration.millis(25)

/** Another pod holds the key's lock: look for its value until it is there, the lock is gone, or `lockWait` is over. */
const awaitHolder = <A>(core: CacheCore, spec: CacheSpec<A>) =>
  Effect.clockWith((clock) => core.fillLock.readOrLock(spec.kind, spec.key, spec.codec, clock.currentTimeMillisUnsafe(), core.options.lockTtl)).pipe(
    Effect.delay(LOCK_POLL),
    Effect.repeat({ until: (read: SharedRead<A>) => read._tag !== "Busy" }),
    Effect.timeoutOrElse({ duration: core.options.lockWait, orElse: () => Effect.succeed<SharedRead<A>>({ _tag: "Miss", token: undefined }) })
  )

/** Another instance loaded the key while this one waited for it. */
const theirs = <A, E, R>(
  core: CacheCore,
  spec: CacheSpec<A>,
  load: Effect.Effect<A, E, R>,
  entry: CacheEntry<A>,
  now: number
): Effect.Effect<Filled<A>, never, R> => {
  core.metrics.byKind[spec.kind].joinedCluster.inc()
  core.l1.set(spec.kind, spec.key, entry, now)
  if (now < entry.freshUntil) return Effect.succeed({ value: entry.value, level: "l2", stale: false })
  return Effect.as(refresh(core, spec, load), { value: entry.value, level: "l2", stale: true } satisfies Filled<A>)
}

/**
 * Loads a key missing from L1 and L2, once across instances when Redis is
 * there. `read` is what the L2 read found: the key's lock taken for this
 * instance (load, store, release), another instance holding it (wait for
 * its value; load if it never comes), or no Redis to ask (just load).
 * Runs once per key per process (SingleFlight).
 */
export const clusterFill = <A, E, R>(
  core: CacheCore,
  spec: CacheSpec<A>,
  load: Effect.Effect<A, E, R>,
  loadOptions: LoadOptions<E> | undefined,
  read: SharedMiss
): Effect.Effect<Filled<A>, E, R> => {
  if (read._tag === "Miss") return loadAndStore(core, spec, load, loadOptions, read.token)
  return Effect.flatMap(awaitHolder(core, spec), (waited) => {
    if (waited._tag === "Hit") return Effect.clockWith((clock) => theirs(core, spec, load, waited.entry, clock.currentTimeMillisUnsafe()))
    return loadAndStore(core, spec, load, loadOptions, waited._tag === "Miss" ? waited.token : undefined)
  })
}
