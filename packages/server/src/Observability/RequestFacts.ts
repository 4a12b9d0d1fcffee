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
  /** The request's id (X-Request-Id, or one made up), for the audit log. */
  requestId: string
  /** Headers to add to the answer, whatever it is (rate-limit headers, Set-Cookie of a failed login …). */
  headers: Record<string, string> | undefined
  /**
   * When the HTTP layer may keep this request's answer (Http/AnswerCache.ts),
   * a list the cache appends every entry it served to: the answer is reused
   * only while those are still the current entries.
   */
  reads: Array<CacheRead> | undefined
}

/** One cache entry a request's answer was built from. */
export interface CacheRead {
  readonly kind: string
  readonly key: string
  readonly entry: { readonly freshUntil: number }
}

export const newRequestFacts = (requestId = ""): RequestFacts => ({
  cacheLookups: 0,
  cacheMisses: 0,
  cacheStale: false,
  requestId,
  headers: undefined,
  reads: undefined
})

export const RequestFacts = Context.Reference<RequestFacts>("@marketgate/server/Observability/RequestFacts", {
  defaultValue: () => newRequestFacts()
})

/** True when the request looked something up in the cache and every lookup hit. */
export const servedFromCache = (facts: RequestFacts): boolean => facts.cacheLookups > 0 && facts.cacheMisses === 0
