import { Deferred, Duration, Effect, Schedule } from "effect"
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"

const main = Path.join(import.meta.dirname, "../../src/main.ts")
const cli = Path.join(import.meta.dirname, "../../src/cli.ts")

export interface ServiceProcess {
  readonly child: ChildProcess.ChildProcess
  /** Every line printed so far (stdout and stderr). */
  readonly lines: Array<string>
  /** Resolves with the first line (past or future) that matches, or fails after `within`. */
  readonly waitForLine: (match: (line: string) => boolean, within: Duration.Input) => Effect.Effect<string, Error>
  /** Resolves with the exit code (null when a signal ended it; see `signal`). */
  readonly exited: Effect.Effect<number | null>
  /** The signal that ended the process, once it has exited by one. */
  readonly signal: () => NodeJS.Signals | null
}

/**
 * `node <script> ...args` as its own process, its output collected line by
 * line, killed when the scope closes if it is still running.
 */
const spawnNode = (label: string, script: string, args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const child = ChildProcess.spawn(process.execPath, [script, ...args], {
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      const lines: Array<string> = []
      const watchers = new Set<{ match: (line: string) => boolean; done: Deferred.Deferred<string> }>()
      const exit = yield* Deferred.make<number | null>()
      let signal: NodeJS.Signals | null = null
      // A chunk can end mid-line: keep the unfinished tail of each stream for the next chunk.
      const onData = (tail: { text: string }) => (chunk: Buffer) => {
        const parts = (tail.text + chunk.toString("utf8")).split("\n")
        tail.text = parts.pop() ?? ""
        for (const line of parts.filter((l) => l.length > 0)) {
          lines.push(line)
          for (const w of watchers) if (w.match(line)) Deferred.doneUnsafe(w.done, Effect.succeed(line))
        }
      }
      const flush = (tail: { text: string }) => () => {
        if (tail.text.length > 0) onData(tail)(Buffer.from("\n"))
      }
      const outTail = { text: "" }
      const errTail = { text: "" }
      child.stdout!.on("data", onData(outTail))
      child.stderr!.on("data", onData(errTail))
      child.stdout!.on("end", flush(outTail))
      child.stderr!.on("end", flush(errTail))
      // "close": the process has exited and its output has been read to the end.
      child.on("close", (code, sig) => {
        signal = sig
        Deferred.doneUnsafe(exit, Effect.succeed(code))
      })
      const waitForLine = (match: (line: string) => boolean, within: Duration.Input) =>
        Effect.gen(function*() {
          const seen = lines.find(match)
          if (seen !== undefined) return seen
          const done = yield* Deferred.make<string>()
          watchers.add({ match, done })
          return yield* Deferred.await(done).pipe(
            Effect.raceFirst(Effect.flatMap(Deferred.await(exit), (code) =>
              Effect.fail(new Error(`the ${label} exited (code ${code}) before printing the line; it printed:\n${lines.join("\n")}`))
            )),
            Effect.timeoutOrElse({
              duration: within,
              orElse: () => Effect.fail(new Error(`no matching line within ${Duration.format(Duration.fromInputUnsafe(within))}; printed:\n${lines.join("\n")}`))
            })
          )
        })
      return { child, lines, waitForLine, exited: Deferred.await(exit), signal: () => signal } satisfies ServiceProcess
    }),
    ({ child }) => Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
  )

/**
 * `node packages/server/src/main.ts [...args]` as its own process, as `npm start`
 * runs it (LOG_LEVEL info unless `env` says otherwise), killed when the scope
 * closes if it is still running.
 */
export const spawnService = (env: Record<string, string>, args: ReadonlyArray<string> = []) =>
  spawnNode("service", main, args, { LOG_LEVEL: "info", ...env })

/**
 * `node packages/server/src/cli.ts ...args` (`npm run cli -- ...args`) as its
 * own process, killed when the scope closes if it is still running.
 */
export const spawnCli = (args: ReadonlyArray<string>, env: Record<string, string>) => spawnNode("cli", cli, args, env)

/** GET on a service process's loopback port: status and parsed JSON body. */
export const getJson = (port: number, path: string) =>
  Effect.promise(() => fetch(`http://127.0.0.1:${port}${path}`).then(async (r) => ({ status: r.status, body: await r.json() as any })))

/** Polls /ready until 200 (at most 60 s); refused connections while it starts count as not ready. */
export const awaitReady = (port: number) =>
  getJson(port, "/ready").pipe(
    Effect.catchDefect(() => Effect.succeed({ status: 0, body: null })),
    Effect.repeat({ schedule: Schedule.spaced("100 millis"), until: (r) => r.status === 200 }),
    Effect.timeout("60 seconds")
  )
