import { Context } from "effect"

/**
 * Facts about the request being served that the envelope reports. The HTTP
 * middleware provides a fresh object per request; the cache records into it.
 */
export interface RequestFacts {
  cacheLookups: number
  cacheMisses: number
  /** Some of the answer was a stale entry served within its grace period. */
  cacheStale: boolean
}

export const newRequestFacts = (): RequestFacts => ({ cacheLookups: 0, cacheMisses: 0, cacheStale: false })

export const RequestFacts = Context.Reference<RequestFacts>("@marketgate/server/Observability/RequestFacts", {
  defaultValue: newRequestFacts
})

/** True when the request looked something up in the cache and every lookup hit. */
export const servedFromCache = (facts: RequestFacts): boolean => facts.cacheLookups > 0 && facts.cacheMisses === 0
