import { Config, Duration } from "effect"
import type { RateLimitSettings } from "./AdaptiveRateLimiter.ts"
import type { BreakerSettings } from "../../Resilience/BreakerMachine.ts"

export type Tier = "free" | "paid"

/** Everything that governs calls to one provider, after defaults and configuration. */
export interface SourceSettings {
  readonly name: string
  /** Position in `SOURCES`: 0 is asked first when all else is equal. */
  readonly priority: number
  readonly tier: Tier
  /** Relative cost of one call; the router prefers cheaper providers. */
  readonly cost: number
  /** Per attempt. */
  readonly timeout: Duration.Duration
  /** Per attempt of a listing or a full-market snapshot, which page through a whole market. */
  readonly listingTimeout: Duration.Duration
  /** Retries of a retryable failure, with exponential backoff and jitter from `retryBase`. */
  readonly retries: number
  readonly retryBase: Duration.Duration
  /** Bulkhead: calls in flight to this provider at once. */
  readonly maxConcurrency: number
  readonly rateLimit: RateLimitSettings
  readonly breaker: BreakerSettings
}

type Defaults = Omit<SourceSettings, "name" | "priority" | "tier">

/**
 * Defaults by tier. Free sources are fragile and throttle early: they trip
 * after 3 consecutive failures; paid ones after 10. Both also trip when half
 * of the recent calls failed.
 */
export const tierDefaults: Record<Tier, Defaults> = {
  free: {
    cost: 0,
    timeout: Duration.seconds(2),
    listingTimeout: Duration.seconds(60),
    retries: 2,
    retryBase: Duration.millis(100),
    maxConcurrency: 4,
    rateLimit: { maxPerSecond: 5, minPerSecond: 0.5, increasePerSuccess: 0.5, defaultBackoff: Duration.seconds(1), maxWait: Duration.millis(250) },
    breaker: {
      consecutiveFailures: 3,
      failureRate: 0.5,
      windowSize: 20,
      minimumCalls: 10,
      openMs: 30_000,
      maxOpenMs: 300_000
    }
  },
  paid: {
    cost: 1,
    timeout: Duration.seconds(3),
    listingTimeout: Duration.seconds(60),
    retries: 2,
    retryBase: Duration.millis(100),
    maxConcurrency: 16,
    rateLimit: { maxPerSecond: 50, minPerSecond: 1, increasePerSuccess: 1, defaultBackoff: Duration.seconds(1), maxWait: Duration.millis(250) },
    breaker: {
      consecutiveFailures: 10,
      failureRate: 0.5,
      windowSize: 50,
      minimumCalls: 20,
      openMs: 15_000,
      maxOpenMs: 120_000
    }
  }
}

/** `SOURCE_<NAME>_<SETTING>` overrides, on top of the tier's defaults. */
export const sourceSettingsConfig = (
  name: string,
  priority: number,
  defaultTier: Tier,
  overrides: Partial<Defaults> = {}
): Config.Config<SourceSettings> => {
  const v = (setting: string) => `SOURCE_${name.toUpperCase()}_${setting}`
  return Config.Literals(["free", "paid"], v("TIER")).pipe(
    Config.withDefault(defaultTier),
    Config.flatMap((tier) => {
      const d = { ...tierDefaults[tier], ...overrides }
      return Config.all({
        cost: Config.Number(v("COST")).pipe(Config.withDefault(d.cost)),
        timeout: Config.Duration(v("TIMEOUT")).pipe(Config.withDefault(d.timeout)),
        listingTimeout: Config.Duration(v("LISTING_TIMEOUT")).pipe(Config.withDefault(d.listingTimeout)),
        retries: Config.Int(v("RETRIES")).pipe(Config.withDefault(d.retries)),
        maxConcurrency: Config.Int(v("CONCURRENCY")).pipe(Config.withDefault(d.maxConcurrency)),
        ratePerSecond: Config.Number(v("RATE_PER_SECOND")).pipe(Config.withDefault(d.rateLimit.maxPerSecond)),
        rateMaxWait: Config.Duration(v("RATE_MAX_WAIT")).pipe(Config.withDefault(d.rateLimit.maxWait)),
        failures: Config.Int(v("BREAKER_FAILURES")).pipe(Config.withDefault(d.breaker.consecutiveFailures)),
        failureRate: Config.Number(v("BREAKER_FAILURE_RATE")).pipe(Config.withDefault(d.breaker.failureRate)),
        open: Config.Duration(v("BREAKER_OPEN")).pipe(Config.withDefault(Duration.millis(d.breaker.openMs)))
      }).pipe(Config.map((c): SourceSettings => ({
        ...d,
        name,
        priority,
        tier,
        cost: c.cost,
        timeout: c.timeout,
        listingTimeout: c.listingTimeout,
        retries: Math.max(0, c.retries),
        maxConcurrency: Math.max(1, c.maxConcurrency),
        rateLimit: {
          ...d.rateLimit,
          maxPerSecond: c.ratePerSecond,
          minPerSecond: Math.min(d.rateLimit.minPerSecond, c.ratePerSecond),
          maxWait: c.rateMaxWait
        },
        breaker: {
          ...d.breaker,
          consecutiveFailures: Math.max(1, c.failures),
          failureRate: c.failureRate,
          openMs: Duration.toMillis(c.open),
          maxOpenMs: Math.max(d.breaker.maxOpenMs, Duration.toMillis(c.open))
        }
      })))
    })
  )
}
