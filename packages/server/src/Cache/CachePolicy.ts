import { Config, Duration } from "effect"

/** What a cached value is; each kind has its own freshness. */
export type CacheKind = "quote" | "overview" | "intraday" | "daily" | "instruments"

export type CachePolicies = Readonly<Record<CacheKind, Duration.Duration>>

/** How long a value stays fresh, per kind: the one place these numbers live. */
export const defaultPolicies: CachePolicies = {
  quote: Duration.seconds(5),
  overview: Duration.seconds(15),
  intraday: Duration.minutes(5),
  daily: Duration.hours(1),
  instruments: Duration.days(1)
}

const ttl = (kind: CacheKind, name: string) =>
  Config.Duration(name).pipe(Config.withDefault(defaultPolicies[kind]))

/** `CACHE_TTL_QUOTE=5 seconds`, `CACHE_TTL_DAILY=2 hours` … override the defaults. */
export const CachePoliciesConfig: Config.Config<CachePolicies> = Config.all({
  quote: ttl("quote", "CACHE_TTL_QUOTE"),
  overview: ttl("overview", "CACHE_TTL_OVERVIEW"),
  intraday: ttl("intraday", "CACHE_TTL_INTRADAY"),
  daily: ttl("daily", "CACHE_TTL_DAILY"),
  instruments: ttl("instruments", "CACHE_TTL_INSTRUMENTS")
})
