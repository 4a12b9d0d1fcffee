import { Deferred, Duration, Effect } from "effect"
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"

const main = Path.join(import.meta.dirname, "../../src/main.ts")

export interface ServiceProcess {
  readonly child: ChildProcess.ChildProcess
  /** Every line printed so far (stdout and stderr). */
  readonly lines: Array<string>
  /** Resolves with the first line (past or future) that matches, or fails after `within`. */
  readonly waitForLine: (match: (line: string) => boolean, within: Duration.Input) => Effect.Effect<string, Error>
  /** Resolves with the exit code. */
  readonly exited: Effect.Effect<number | null>
}

/**
 * `node packages/server/src/main.ts` as its own process, as `npm start` runs
 * it, killed when the scope closes if it is still running.
 */
export const spawnService = (env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const child = ChildProcess.spawn(process.execPath, [main], {
        env: { ...process.env, LOG_LEVEL: "info", ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      const lines: Array<string> = []
      const watchers = new Set<{ match: (line: string) => boolean; done: Deferred.Deferred<string> }>()
      const exit = yield* Deferred.make<number | null>()
      const onData = (chunk: Buffer) => {
        for (const line of chunk.toString("utf8").split("\n").filter((l) => l.length > 0)) {
          lines.push(line)
          for (const w of watchers) if (w.match(line)) Deferred.doneUnsafe(w.done, Effect.succeed(line))
        }
      }
      child.stdout!.on("data", onData)
      child.stderr!.on("data", onData)
      child.on("exit", (code) => Deferred.doneUnsafe(exit, Effect.succeed(code)))
      const waitForLine = (match: (line: string) => boolean, within: Duration.Input) =>
        Effect.gen(function*() {
          const seen = lines.find(match)
          if (seen !== undefined) return seen
          const done = yield* Deferred.make<string>()
          watchers.add({ match, done })
          return yield* Deferred.await(done).pipe(
            Effect.raceFirst(Effect.flatMap(Deferred.await(exit), (code) =>
              Effect.fail(new Error(`the service exited (code ${code}) before printing the line; it printed:\n${lines.join("\n")}`))
            )),
            Effect.timeoutOrElse({
              duration: within,
              orElse: () => Effect.fail(new Error(`no matching line within ${Duration.format(Duration.fromInputUnsafe(within))}; printed:\n${lines.join("\n")}`))
            })
          )
        })
      return { child, lines, waitForLine, exited: Deferred.await(exit) } satisfies ServiceProcess
    }),
    ({ child }) => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL"))
  )
