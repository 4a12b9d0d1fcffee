import * as Prom from "prom-client"
import { talliedCounter } from "../Observability/TalliedCounter.ts"
import { type CacheKind, cacheKinds } from "./CachePolicy.ts"

export const perKind = <T>(make: (kind: CacheKind) => T): Readonly<Record<CacheKind, T>> =>
  Object.fromEntries(cacheKinds.map((kind) => [kind, make(kind)])) as Record<CacheKind, T>

/**
 * The cache's metrics (docs/monitoring.md). The hot-path counters are tallies
 * bound once per label set: a lookup adds to a number, hashing no labels.
 */
export const makeCacheMetrics = (registry: Prom.Registry, l1: { readonly size: number; readonly bytes: number }) => {
  const labelNames = ["level", "policy"] as const
  const hits = talliedCounter({ name: "cache_hits_total", help: "Lookups a tier answered (fresh or stale)", labelNames, registers: [registry] })
  const misses = talliedCounter({ name: "cache_misses_total", help: "Lookups a tier could not answer", labelNames, registers: [registry] })
  const evictions = talliedCounter({ name: "cache_evictions_total", help: "Entries dropped to stay within the L1 bounds", labelNames, registers: [registry] })
  const stale = talliedCounter({ name: "cache_stale_served_total", help: "Stale entries served within their grace period", labelNames, registers: [registry] })
  const refreshes = new Prom.Counter({ name: "cache_refreshes_total", help: "Background refreshes of stale entries", labelNames: ["policy", "outcome"], registers: [registry] })
  const loads = new Prom.Counter({ name: "cache_loads_total", help: "Loader runs after a miss in every tier", labelNames: ["policy", "outcome"], registers: [registry] })
  const joined = talliedCounter({ name: "cache_single_flight_joined_total", help: "Misses that waited for a load already running", labelNames: ["policy", "scope"], registers: [registry] })
  new Prom.Gauge({
    name: "cache_entries",
    help: "Entries held in L1",
    registers: [registry],
    collect() {
      this.set(l1.size)
    }
  })
  new Prom.Gauge({
    name: "cache_bytes",
    help: "Bytes of serialised values held in L1",
    registers: [registry],
    collect() {
      this.set(l1.bytes)
    }
  })
  return {
    byKind: perKind((policy) => ({
      l1: { hit: hits.tally({ level: "l1", policy }), miss: misses.tally({ level: "l1", policy }), stale: stale.tally({ level: "l1", policy }) },
      l2: { hit: hits.tally({ level: "l2", policy }), miss: misses.tally({ level: "l2", policy }), stale: stale.tally({ level: "l2", policy }) },
      evicted: evictions.tally({ level: "l1", policy }),
      joinedProcess: joined.tally({ policy, scope: "process" }),
      joinedCluster: joined.tally({ policy, scope: "cluster" })
    })),
    refreshes,
    loads
  }
}

export type CacheMetrics = ReturnType<typeof makeCacheMetrics>
