import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Database from "../../src/Store/Database.ts"
import type { DatabaseInfo } from "../../src/Store/DatabaseInfo.ts"

/** The PostgreSQL server the integration tests use (scripts/test-preflight.ts checks it first). */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"

const withDatabase = (url: string, database: string) => {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

const admin = <A, E>(f: (sql: PgClient.PgClient) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    return yield* f(yield* PgClient.PgClient)
  }).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(testDatabaseUrl), maxConnections: 1 }))
  )

/** A database of its own on the test server, for the scope; dropped afterwards. Answers its URL. */
export const scratchDatabase = (label: string) =>
  Effect.gen(function*() {
    const name = `mg_test_${label === "" ? "" : `${label}_`}${process.pid}_${Math.random().toString(36).slice(2, 10)}`
    yield* Effect.acquireRelease(
      admin((sql) => sql`CREATE DATABASE ${sql(name)}`),
      () => admin((sql) => sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`).pipe(Effect.orDie)
    )
    return withDatabase(testDatabaseUrl, name)
  })

/** A plain client of the test's own on `url`, for checks beside the code under test. */
export const checkClient = (url: string) =>
  Effect.map(
    Layer.build(PgClient.layer({ url: Redacted.make(url), maxConnections: 2 })),
    (context) => Context.get(context, SqlClient.SqlClient)
  )

/** A fresh database on the test server for one test file, migrated, and dropped afterwards. */
export const freshPostgres = (): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient | DatabaseInfo, unknown> =>
  Layer.unwrap(
    Effect.map(scratchDatabase(""), (url) => Database.layerFor({ _tag: "Server", url: Redacted.make(url), maxConnections: 4 }))
  )

/** A temporary directory, removed afterwards. */
export const tempDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.promise(() => Fs.mkdtemp(Path.join(Os.tmpdir(), prefix))),
    (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
  )

/** A fresh embedded PGlite store in a temporary directory. */
export const freshPglite = (): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient | DatabaseInfo, unknown> =>
  Layer.unwrap(
    Effect.map(tempDir("mg-pglite-"), (dir) => Database.layerFor({ _tag: "Embedded", dataDir: Path.join(dir, "pglite") }))
  )
