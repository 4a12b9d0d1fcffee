import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import { Data, Effect } from "effect"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"

export class EmbeddedPostgresError extends Data.TaggedError("EmbeddedPostgresError")<{
  readonly dataDir: string
  readonly cause: unknown
}> {
  override get message() {
    return `could not open the embedded PostgreSQL in '${this.dataDir}': ${String(this.cause)}`
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, owned by someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * One process per data directory: PGlite has no locking of its own, and two
 * processes (a service and a CLI backfill, say) writing one directory would
 * each see only their own writes and could corrupt it. A pid file claims the
 * directory; a stale one (its process gone) is taken over.
 */
const claimDataDir = (dataDir: string) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        // Beside the directory, not in it: PGlite owns its contents.
        await Fs.mkdir(Path.dirname(dataDir), { recursive: true })
        const pidFile = `${dataDir}.pid`
        for (let attempt = 0; attempt < 2; attempt++) {
          try {
            await Fs.writeFile(pidFile, String(process.pid), { flag: "wx" })
            return pidFile
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
            const owner = Number.parseInt(await Fs.readFile(pidFile, "utf8").catch(() => ""), 10)
            if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
              throw new Error(
                `it is in use by another marketgate process (pid ${owner}); stop that process, ` +
                  `or run both against one PostgreSQL server (DATABASE_URL)`
              )
            }
            await Fs.rm(pidFile, { force: true })
          }
        }
        throw new Error(`could not claim ${pidFile}`)
      },
      catch: (cause) => new EmbeddedPostgresError({ dataDir, cause: cause instanceof Error ? cause.message : cause })
    }),
    (pidFile) => Effect.promise(() => Fs.rm(pidFile, { force: true }))
  )

/**
 * PGlite (PostgreSQL compiled to WASM) persisted in `dataDir`, served over the
 * PostgreSQL wire protocol on a private Unix socket so the app talks to it with
 * the same `@effect/sql-pg` client and the same SQL as a real server.
 * Returns the socket path; closing the scope stops the server and the database.
 */
export const acquireEmbeddedPostgres = (dataDir: string) =>
  Effect.andThen(claimDataDir(dataDir), Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        await Fs.mkdir(dataDir, { recursive: true })
        const db = await PGlite.create({ dataDir })
        // A private directory (mode 0700) keeps the unauthenticated socket
        // reachable by this user only.
        const socketDir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "marketgate-pg-"))
        const socketPath = Path.join(socketDir, ".s.PGSQL.5432")
        // PGlite is single-session; the client pool keeps one connection and the
        // spare slots only let it reconnect after a broken socket.
        const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 4 })
        await server.start()
        return { db, server, socketDir, socketPath }
      },
      catch: (cause) => new EmbeddedPostgresError({ dataDir, cause })
    }),
    ({ db, server, socketDir }) =>
      Effect.promise(async () => {
        await server.stop()
        await db.close()
        await Fs.rm(socketDir, { recursive: true, force: true })
      })
  )).pipe(Effect.map(({ socketPath }) => socketPath))
