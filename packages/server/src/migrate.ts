import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect, Exit } from "effect"
import { SqlClient } from "effect/sql"
import * as Logging from "./Observability/Logging.ts"
import * as Database from "./Store/Database.ts"

/**
 * Applies the store's migrations and exits: the Kubernetes init container and the
 * one-host upgrade step run it before the new version serves (docs/deployment.md).
 * Opening the store migrates it under the migrator's lock, so several of these at
 * once apply each migration once; the service's own start-up then finds nothing to do.
 */
const program = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ readonly migration_id: number; readonly name: string }>`
    SELECT migration_id, name FROM schema_migrations ORDER BY migration_id DESC LIMIT 1`
  const latest = rows[0]
  yield* Effect.logInfo("store migrated").pipe(
    Effect.annotateLogs({ latest: latest === undefined ? "none" : `${String(latest.migration_id).padStart(4, "0")}_${latest.name}` })
  )
}).pipe(Effect.provide(Database.layerConfig))

program.pipe(
  Effect.provide(Logging.layerConfig),
  Effect.tapCause((cause) => Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.logError("migration failed", cause)),
  Effect.provide(Logging.layerDefault),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) ? 0 : 1)
  })
)
