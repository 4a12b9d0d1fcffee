import { Context, Effect, Layer, Option, type Scope } from "effect"
import { SqlClient } from "effect/sql"
import { DatabaseInfo } from "../Store/DatabaseInfo.ts"
import { StoreError } from "../Store/StoreError.ts"

/** Stable 31-bit key of a job kind for pg advisory locks. */
const lockKey = (kind: string) => {
  let h = 0x811c9dc5
  for (const c of `marketgate:${kind}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193)
  return (h >>> 1) & 0x7fffffff
}

/**
 * At most one run of a job kind at a time: across instances with a
 * PostgreSQL session advisory lock held on a reserved connection for the run;
 * in one process (the embedded database cannot be shared) with a set of
 * running kinds.
 */
export class JobLock extends Context.Service<JobLock, {
  /**
   * Holds the lock for the scope, or answers none when another run holds it;
   * fails when the lock cannot be asked for (the store is unreachable), which
   * is not the same as "someone else is running it".
   */
  readonly acquire: (kind: string) => Effect.Effect<Option.Option<void>, StoreError, Scope.Scope>
}>()("@marketgate/server/Jobs/JobLock") {
  static readonly layerLocal = Layer.sync(JobLock, () => {
    const running = new Set<string>()
    return JobLock.of({
      acquire: (kind) =>
        Effect.acquireRelease(
          Effect.sync(() => {
            if (running.has(kind)) return Option.none<void>()
            running.add(kind)
            return Option.some<void>(undefined)
          }),
          (held) => Effect.sync(() => Option.isSome(held) && running.delete(kind))
        )
    })
  })

  static readonly layerPostgres = Layer.effect(
    JobLock,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      return JobLock.of({
        acquire: (kind) =>
          Effect.gen(function*() {
            // A session lock lives on one connection: reserve it for the run.
            const connection = yield* sql.reserve
            const key = lockKey(kind)
            const [row] = yield* connection.executeUnprepared("SELECT pg_try_advisory_lock($1) AS ok", [key], undefined)
            if (row?.ok !== true) return Option.none<void>()
            yield* Effect.addFinalizer(() =>
              Effect.ignore(connection.executeUnprepared("SELECT pg_advisory_unlock($1)", [key], undefined))
            )
            return Option.some<void>(undefined)
          }).pipe(Effect.mapError((cause) => new StoreError({ operation: "jobs.lock", cause })))
      })
    })
  )

  /** Advisory locks on a PostgreSQL server; a local set for the embedded database. */
  static readonly layer = Layer.unwrap(
    Effect.gen(function*() {
      const { embedded } = yield* DatabaseInfo
      return embedded ? JobLock.layerLocal : JobLock.layerPostgres
    })
  )
}
