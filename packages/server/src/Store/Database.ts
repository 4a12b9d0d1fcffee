import { PgClient } from "@effect/sql-pg"
import { Config, Effect, Layer, Option, Redacted } from "effect"
import type { SqlClient } from "effect/sql"
import * as Net from "node:net"
import * as Path from "node:path"
import { DatabaseInfo } from "./DatabaseInfo.ts"
import { acquireEmbeddedPostgres } from "./EmbeddedPostgres.ts"
import { runMigrations } from "./Migrations.ts"
import { applicationName } from "./StoreMetrics.ts"

/** Where the data lives: a PostgreSQL server, or the embedded PGlite directory. */
export type DatabaseTarget =
  | { readonly _tag: "Server"; readonly url: Redacted.Redacted<string>; readonly maxConnections: number }
  | { readonly _tag: "Embedded"; readonly dataDir: string }

const clientFor = (target: DatabaseTarget) => {
  switch (target._tag) {
    case "Server":
      // A name per instance, so db_pool_connections can find this pool's connections in pg_stat_activity.
      return PgClient.layer({ url: target.url, maxConnections: target.maxConnections, applicationName })
    case "Embedded":
      return Layer.unwrap(
        Effect.map(acquireEmbeddedPostgres(target.dataDir), (socketPath) =>
          PgClient.layer({
            stream: () => Net.connect(socketPath),
            database: "postgres",
            username: "postgres",
            // PGlite runs one session: a second pooled connection would
            // interleave transactions.
            maxConnections: 1,
            applicationName: "marketgate"
          }))
      )
  }
}

/**
 * The SQL client of the store, migrated before anything can use it.
 * `DATABASE_URL` selects a PostgreSQL server; unset, PGlite under `DATA_DIR`.
 */
export const layerFor = (
  target: DatabaseTarget
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient | DatabaseInfo, unknown> =>
  Layer.effectDiscard(runMigrations).pipe(
    Layer.provideMerge(clientFor(target)),
    Layer.merge(Layer.succeed(DatabaseInfo, DatabaseInfo.of({
      embedded: target._tag === "Embedded",
      maxConnections: target._tag === "Embedded" ? 1 : target.maxConnections
    })))
  )

export const targetConfig = Config.all({
  url: Config.option(Config.Redacted("DATABASE_URL")),
  dataDir: Config.String("DATA_DIR").pipe(Config.withDefault("./data")),
  maxConnections: Config.Int("DATABASE_POOL_SIZE").pipe(Config.withDefault(10))
}).pipe(
  Config.map(({ dataDir, maxConnections, url }): DatabaseTarget =>
    Option.isSome(url) && Redacted.value(url.value).length > 0
      ? { _tag: "Server", url: url.value, maxConnections }
      : { _tag: "Embedded", dataDir: Path.resolve(dataDir, "pglite") }
  )
)

export const layerConfig = Layer.unwrap(Effect.map(targetConfig, layerFor))
