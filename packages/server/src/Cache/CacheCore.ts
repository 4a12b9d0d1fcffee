import { Clock, Duration, Effect, Exit, type FiberSet, Random } from "effect"
import type { CacheCodec, CacheEntry } from "./CacheEntry.ts"
import type { CacheMetrics } from "./CacheMetrics.ts"
import { type CacheKind, type CachePolicies, jittered } from "./CachePolicy.ts"
import type { L1 } from "./L1.ts"
import type { NegativeCache } from "./NegativeCache.ts"
import type { RefreshQueue } from "./RefreshQueue.ts"
import type { SharedTier } from "./SharedTier.ts"
import type { FillLock } from "./FillLock.ts"
import type { Filled, SingleFlight } from "./SingleFlight.ts"

export interface MarketCacheOptions {
  readonly policies: CachePolicies
  /** L1 bounds: entries, and bytes of serialised values. */
  readonly maxEntries: number
  readonly maxBytes: number
  /** L2 key prefix, with the format version: `mg:v1`. */
  readonly namespace: string
  /** How long a cold key's cross-instance lock lives if its holder dies. */
  readonly lockTtl: Duration.Duration
  /** How long a pod waits for another pod's load before loading itself. */
  readonly lockWait: Duration.Duration
  /** Background refreshes of stale entries running at once. */
  readonly refreshConcurrency: number
  /** How long a negative result ("no such thing") is remembered. */
  readonly negativeTtl: Duration.Duration
}

export interface CacheSpec<A> {
  readonly kind: CacheKind
  readonly key: string
  readonly codec: CacheCodec<A>
}

export interface LoadOptions<E> {
  /** Failures that are an answer ("no such symbol"), remembered for `negativeTtl`. */
  readonly negative?: ((error: E) => boolean) | undefined
}

/** The parts of one cache instance, which its modules (lookups, batch loads, fills) share. */
export interface CacheCore {
  readonly options: MarketCacheOptions
  readonly metrics: CacheMetrics
  readonly l1: L1
  readonly negatives: NegativeCache
  readonly shared: SharedTier["Service"]
  readonly fillLock: FillLock["Service"]
  readonly flights: SingleFlight
  readonly refreshes: RefreshQueue
  /** Fills run here, detached from the request that started them. */
  readonly background: FiberSet.FiberSet
}

// Capturing a stack trace for every lookup's span cost ~15 % of cache
// throughput (bench/cache profile); the span name says where it comes from.
export const noStack = { captureStackTrace: false } as const

/** The entry of a freshly loaded value: encoded once, freshness jittered ±10 %. */
export const newEntry = <A>(core: CacheCore, spec: CacheSpec<A>, value: A): Effect.Effect<CacheEntry<A>> =>
  Effect.withFiber((fiber) => {
    const now = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
    const policy = core.options.policies[spec.kind]
    const fresh = jittered(Duration.toMillis(policy.fresh), fiber.getRef(Random.Random).nextDoubleUnsafe())
    return Effect.succeed({
      value,
      json: spec.codec.encode(value),
      freshUntil: now + fresh,
      staleUntil: now + fresh + Duration.toMillis(policy.grace)
    })
  })

/** Loads a value and keeps it: in L1 at once, in L2 behind the request (releasing `token`, the fill lock, if given). */
export const loadAndStore = <A, E, R>(
  core: CacheCore,
  spec: CacheSpec<A>,
  load: Effect.Effect<A, E, R>,
  loadOptions: LoadOptions<E> | undefined,
  token: string | undefined
): Effect.Effect<Filled<A>, E, R> =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(load)
    core.metrics.loads.inc({ policy: spec.kind, outcome: Exit.isSuccess(exit) ? "success" : "failure" })
    const now = yield* Clock.currentTimeMillis
    if (Exit.isSuccess(exit)) {
      const entry = yield* newEntry(core, spec, exit.value)
      core.l1.set(spec.kind, spec.key, entry, now)
      yield* core.shared.writeBehind(spec.kind, spec.key, entry, token)
      return { value: exit.value, level: "load", stale: false } satisfies Filled<A>
    }
    yield* core.shared.writeBehind(spec.kind, spec.key, undefined, token)
    const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
    if (failure !== undefined && loadOptions?.negative?.(failure.error as E)) {
      core.negatives.remember(spec.kind, spec.key, failure.error, now + Duration.toMillis(core.options.negativeTtl))
    }
    return yield* Effect.failCause(exit.cause)
  })

/** Keeps a value: in L1 at once, in L2 behind the request. */
export const store = <A>(core: CacheCore, spec: CacheSpec<A>, value: A): Effect.Effect<void> =>
  Effect.flatMap(newEntry(core, spec, value), (entry) =>
    Effect.clockWith((clock) => {
      core.l1.set(spec.kind, spec.key, entry, clock.currentTimeMillisUnsafe())
      return core.shared.writeBehind(spec.kind, spec.key, entry, undefined)
    }))

/** Queues the background refresh of a stale key: load, keep in L1 and L2. */
export const refresh = <A, E, R>(core: CacheCore, spec: CacheSpec<A>, load: Effect.Effect<A, E, R>) =>
  core.refreshes.refresh(spec.kind, [spec.key], Effect.flatMap(load, (value) => store(core, spec, value)))
