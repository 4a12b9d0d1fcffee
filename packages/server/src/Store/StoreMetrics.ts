import { Clock, Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import * as Os from "node:os"
import * as Prom from "prom-client"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"
import { DatabaseInfo } from "./DatabaseInfo.ts"
import { StoreError } from "./StoreError.ts"

/** Buckets that resolve the DB objective (P95 ≤ 100 ms) and the alert (P95 > 1 s). */
const QUERY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

/**
 * `db_query_duration_seconds{operation}`: how long each store operation
 * (one or a few SQL statements) took, failures included. Unless the app
 * provides its registry's histogram (`layer`), observations go to one no
 * registry exports, so repositories work unchanged in tests.
 */
export const StoreMetrics = Context.Reference<{ readonly queryDuration: Prom.Histogram<"operation" | "outcome"> }>(
  "@marketgate/server/Store/StoreMetrics",
  {
    defaultValue: () => ({
      queryDuration: new Prom.Histogram({
        name: "db_query_duration_seconds",
        help: "unregistered",
        labelNames: ["operation", "outcome"],
        buckets: QUERY_BUCKETS,
        registers: []
      })
    })
  }
)

/** A store operation: its failure becomes a StoreError naming it, its duration is observed. */
export const storeCall = (operation: string) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, StoreError, R> =>
  Effect.gen(function*() {
    const { queryDuration } = yield* StoreMetrics
    const started = yield* Clock.currentTimeNanos
    const exit = yield* Effect.exit(effect)
    const seconds = Number((yield* Clock.currentTimeNanos) - started) / 1e9
    queryDuration.observe({ operation, outcome: exit._tag === "Success" ? "success" : "failure" }, seconds)
    return yield* Effect.mapError(exit, (cause) => new StoreError({ operation, cause }))
  })

/** This instance's connections, as PostgreSQL's `pg_stat_activity` names them. */
export const applicationName = `marketgate/${Os.hostname()}:${process.pid}`.slice(0, 63)

/**
 * The registered histogram, and `db_pool_connections{state}`: this
 * instance's connections by state (active, idle, idle in transaction …) read
 * from `pg_stat_activity` at scrape time, plus `max`, the pool size.
 */
export const layer = Layer.effect(
    StoreMetrics,
    Effect.gen(function*() {
      const { registry } = yield* MetricsRegistry
      const sql = yield* SqlClient.SqlClient
      const { embedded, maxConnections } = yield* DatabaseInfo
      const services = yield* Effect.context<never>()
      new Prom.Gauge({
        name: "db_pool_connections",
        help: "Connections of this instance by state (pg_stat_activity), and max: the pool size",
        labelNames: ["state"],
        registers: [registry],
        async collect() {
          this.reset()
          this.set({ state: "max" }, maxConnections)
          // The embedded database has one in-process connection, nothing to ask.
          if (embedded) {
            this.set({ state: "active" }, 1)
            return
          }
          const rows = await Effect.runPromiseWith(services)(
            sql<{ state: string | null; n: number }>`
              SELECT coalesce(state, 'unknown') AS state, count(*)::int AS n FROM pg_stat_activity
              WHERE application_name = ${applicationName} GROUP BY 1`.pipe(Effect.orElseSucceed(() => []))
          )
          for (const row of rows) this.set({ state: row.state ?? "unknown" }, row.n)
        }
      })
      return {
        queryDuration: new Prom.Histogram({
          name: "db_query_duration_seconds",
          help: "Duration of store operations (one or a few SQL statements), by operation and outcome",
          labelNames: ["operation", "outcome"],
          buckets: QUERY_BUCKETS,
          registers: [registry]
        })
      }
    })
  )
