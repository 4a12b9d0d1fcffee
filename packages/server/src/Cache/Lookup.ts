import { Clock, Deferred, Effect, Exit, FiberSet, Option, type Tracer } from "effect"
import { RequestFacts } from "../Observability/RequestFacts.ts"
import { type CacheCore, type CacheSpec, type LoadOptions, noStack, refresh } from "./CacheCore.ts"
import type { CacheEntry } from "./CacheEntry.ts"
import { perKind } from "./CacheMetrics.ts"
import { clusterFill, type SharedMiss } from "./ClusterFill.ts"
import type { Filled } from "./SingleFlight.ts"

const lookupSpan = perKind((policy) => ({ attributes: { "cache.policy": policy } }))

const missWithoutLock: SharedMiss = { _tag: "Miss", token: undefined }

/** Counts a tier's hit, marks the span, and starts a refresh when the entry is stale. */
const served = <A, E, R>(
  core: CacheCore,
  span: Tracer.Span,
  spec: CacheSpec<A>,
  level: "l1" | "l2",
  entry: CacheEntry<A>,
  now: number,
  facts: RequestFacts,
  load: Effect.Effect<A, E, R>
): Effect.Effect<A, never, R> => {
  const tier = core.metrics.byKind[spec.kind][level]
  const isStale = now >= entry.freshUntil
  tier.hit.inc()
  facts.reads?.push({ kind: spec.kind, key: spec.key, entry })
  span.attribute("cache.level", level)
  span.attribute("cache.hit", true)
  span.attribute("cache.stale", isStale)
  if (!isStale) return Effect.succeed(entry.value)
  tier.stale.inc()
  facts.cacheStale = true
  return Effect.as(refresh(core, spec, load), entry.value)
}

/** What a fill means for one of the requests that waited on it. */
const answered = <A>(span: Tracer.Span, facts: RequestFacts, filled: Filled<A>): Effect.Effect<A> => {
  span.attribute("cache.level", filled.level)
  span.attribute("cache.hit", filled.level !== "load")
  span.attribute("cache.stale", filled.stale)
  if (filled.level === "load") facts.cacheMisses++
  else if (filled.stale) facts.cacheStale = true
  return Effect.succeed(filled.value)
}

/**
 * One fill per key per process: later misses wait for the first. The fill
 * runs detached from any one request, so a caller that gives up does not
 * cancel it for the others.
 */
const fillOnce = <A, E, R>(
  core: CacheCore,
  spec: CacheSpec<A>,
  load: Effect.Effect<A, E, R>,
  loadOptions: LoadOptions<E> | undefined,
  read: SharedMiss,
  span: Tracer.Span,
  facts: RequestFacts
): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    const { flights } = core
    const token = read._tag === "Miss" ? read.token : undefined
    const running = flights.get<A, E>(spec.kind, spec.key)
    if (running !== undefined) {
      core.metrics.byKind[spec.kind].joinedProcess.inc()
      const joined = Effect.flatMap(Deferred.await(running), (filled) =>
        // A batch load that did not return this key: fill it ourselves.
        Option.isSome(filled) ? answered(span, facts, filled.value) : fillOnce(core, spec, load, loadOptions, missWithoutLock, span, facts))
      // A lock our read took is not needed: the running fill has, or waits for, the value.
      // (The same token is that fill's own lock when both reads were in one batch.)
      if (token === undefined || flights.holds(spec.kind, spec.key, token)) return joined
      return Effect.andThen(core.shared.writeBehind(spec.kind, spec.key, undefined, token), joined)
    }
    // The fill of a read in the same batch may have finished already.
    const now = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
    const e1 = core.l1.get<A>(spec.kind, spec.key, now)
    if (e1 !== undefined) return served(core, span, spec, "l1", e1, now, facts, load)
    const done = flights.start<A, E>(spec.kind, spec.key, token)
    return FiberSet.run(
      core.background,
      clusterFill(core, spec, load, loadOptions, read).pipe(
        Effect.withSpan("Cache.fill", lookupSpan[spec.kind], noStack),
        // The lookup span is the parent of the fill's spans (the lock, the load's provider calls).
        Effect.withParentSpan(span, noStack),
        Effect.exit,
        Effect.flatMap((exit) => Deferred.done(done, Exit.map(exit, Option.some))),
        Effect.ensuring(Effect.sync(() => flights.finish(spec.kind, spec.key)))
      )
    ).pipe(
      Effect.andThen(Deferred.await(done)),
      Effect.flatMap((filled) => answered(span, facts, Option.getOrThrow(filled)))
    )
  })

/**
 * L1 missed. A key this process is already filling is awaited; otherwise
 * one L2 read that also takes the key's lock if L2 misses too (batched
 * with the other misses of this turn into one round trip), then the fill.
 */
const fromL2OrFill = <A, E, R>(
  core: CacheCore,
  spec: CacheSpec<A>,
  load: Effect.Effect<A, E, R>,
  loadOptions: LoadOptions<E> | undefined,
  span: Tracer.Span,
  facts: RequestFacts,
  now: number
): Effect.Effect<A, E, R> => {
  if (!core.shared.enabled || core.flights.has(spec.kind, spec.key)) return fillOnce(core, spec, load, loadOptions, missWithoutLock, span, facts)
  return Effect.flatMap(core.fillLock.readOrLock(spec.kind, spec.key, spec.codec, now, core.options.lockTtl), (read) => {
    if (read._tag !== "Hit") {
      core.metrics.byKind[spec.kind].l2.miss.inc()
      return fillOnce(core, spec, load, loadOptions, read, span, facts)
    }
    core.l1.set(spec.kind, spec.key, read.entry, now)
    return served(core, span, spec, "l2", read.entry, now, facts, load)
  })
}

/**
 * One key: L1, the negative cache, then L2 and the fill. A lookup answered
 * by L1 is the hot path (nine lookups in ten under a Zipf load): it runs as
 * one synchronous step inside its span, with no generator, no child fiber and
 * metric children bound in advance (docs/performance.md).
 */
export const getOrLoad = <A, E, R>(
  core: CacheCore,
  spec: CacheSpec<A>,
  load: Effect.Effect<A, E, R>,
  loadOptions?: LoadOptions<E>
): Effect.Effect<A, E, R> =>
  Effect.useSpan("Cache.lookup", lookupSpan[spec.kind], (span) =>
    Effect.withFiber((fiber) => {
      const now = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
      const facts = fiber.getRef(RequestFacts)
      facts.cacheLookups++
      const e1 = core.l1.get<A>(spec.kind, spec.key, now)
      if (e1 !== undefined) return served(core, span, spec, "l1", e1, now, facts, load)
      const tier = core.metrics.byKind[spec.kind].l1
      const negative = core.negatives.get<E>(spec.kind, spec.key, now)
      if (negative !== undefined) {
        tier.hit.inc()
        span.attribute("cache.level", "l1")
        span.attribute("cache.hit", true)
        span.attribute("cache.negative", true)
        return Effect.fail(negative)
      }
      tier.miss.inc()
      return fromL2OrFill(core, spec, load, loadOptions, span, facts, now)
    }))
