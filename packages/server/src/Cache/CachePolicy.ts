import { Config, Duration } from "effect"

/** What a cached value is; each kind has its own freshness. */
export type CacheKind = "quote" | "overview" | "intraday" | "daily" | "instruments"

export const cacheKinds: ReadonlyArray<CacheKind> = ["quote", "overview", "intraday", "daily", "instruments"]

/**
 * `fresh`: served as is (soft TTL). `grace`: how much longer a stale value may
 * still be served, at once, while one background refresh runs, or while the
 * providers fail (hard TTL = fresh + grace).
 */
export interface CachePolicy {
  readonly fresh: Duration.Duration
  readonly grace: Duration.Duration
}

export type CachePolicies = Readonly<Record<CacheKind, CachePolicy>>

/** The one place these numbers live. */
export const defaultPolicies: CachePolicies = {
  quote: { fresh: Duration.seconds(5), grace: Duration.seconds(30) },
  overview: { fresh: Duration.seconds(15), grace: Duration.minutes(1) },
  intraday: { fresh: Duration.minutes(5), grace: Duration.minutes(30) },
  daily: { fresh: Duration.hours(1), grace: Duration.hours(6) },
  instruments: { fresh: Duration.days(1), grace: Duration.days(7) }
}

/** Entries written at the same moment must not all expire at the same moment (avalanche). */
export const TTL_JITTER = 0.1

/** `ms` moved by up to ±10 %, `random` in [0, 1). */
export const jittered = (ms: number, random: number): number => Math.round(ms * (1 - TTL_JITTER + 2 * TTL_JITTER * random))

const policyConfig = (kind: CacheKind) =>
  Config.all({
    fresh: Config.Duration(`CACHE_TTL_${kind.toUpperCase()}`).pipe(Config.withDefault(defaultPolicies[kind].fresh)),
    grace: Config.Duration(`CACHE_GRACE_${kind.toUpperCase()}`).pipe(Config.withDefault(defaultPolicies[kind].grace))
  })

/** `CACHE_TTL_QUOTE=5 seconds`, `CACHE_GRACE_DAILY=12 hours` … override the defaults. */
export const CachePoliciesConfig: Config.Config<CachePolicies> = Config.all({
  quote: policyConfig("quote"),
  overview: policyConfig("overview"),
  intraday: policyConfig("intraday"),
  daily: policyConfig("daily"),
  instruments: policyConfig("instruments")
})
