import { Deferred, Effect } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Path from "node:path"

/** The first `name` on PATH that is an executable file. */
export const onPath = (name: string): string | undefined =>
  (process.env.PATH ?? "").split(Path.delimiter).filter((d) => d.length > 0).map((d) => Path.join(d, name)).find((file) => {
    try {
      Fs.accessSync(file, Fs.constants.X_OK)
      return Fs.statSync(file).isFile()
    } catch {
      return false
    }
  })

/** The first of `names` on PATH, or a failure saying which Debian package brings it. */
export const requireBinary = (names: ReadonlyArray<string>, debianPackage: string) =>
  Effect.suspend(() => {
    const found = names.map(onPath).find((f) => f !== undefined)
    return found !== undefined
      ? Effect.succeed(found)
      : Effect.fail(new Error(`${names.join(" or ")} is not on PATH: install the Debian package ${debianPackage} (.ci/run does)`))
  })

export interface Spawned {
  readonly child: ChildProcess.ChildProcess
  readonly output: () => string
  readonly running: () => boolean
}

/** A binary as a child process, SIGTERMed (then SIGKILLed) and waited for when the scope closes. */
export const spawnBinary = (binary: string, args: ReadonlyArray<string>, cwd?: string) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const child = ChildProcess.spawn(binary, [...args], { stdio: ["ignore", "pipe", "pipe"], ...(cwd ? { cwd } : {}) })
      const chunks: Array<string> = []
      child.stdout!.on("data", (c: Buffer) => chunks.push(c.toString("utf8")))
      child.stderr!.on("data", (c: Buffer) => chunks.push(c.toString("utf8")))
      const exited = yield* Deferred.make<void>()
      child.once("error", (e) => {
        chunks.push(String(e))
        Deferred.doneUnsafe(exited, Effect.void)
      })
      child.once("exit", () => Deferred.doneUnsafe(exited, Effect.void))
      const spawned: Spawned = {
        child,
        output: () => chunks.join("").slice(-6000),
        running: () => child.exitCode === null && child.signalCode === null
      }
      return { spawned, exited }
    }),
    ({ exited, spawned }) =>
      Effect.suspend(() => {
        if (!spawned.running()) return Effect.void
        spawned.child.kill("SIGTERM")
        return Deferred.await(exited).pipe(
          Effect.timeout("10 seconds"),
          Effect.catch(() => Effect.sync(() => spawned.child.kill("SIGKILL")).pipe(Effect.andThen(Deferred.await(exited)))),
          Effect.ignore
        )
      })
  ).pipe(Effect.map(({ spawned }) => spawned))

export interface Received {
  readonly path: string
  readonly headers: Http.IncomingHttpHeaders
  readonly body: any
}

/** A local HTTP receiver on 127.0.0.1 that answers 200 and keeps every JSON body it gets. */
export const webhookReceiver = Effect.acquireRelease(
  Effect.callback<{ readonly url: string; readonly received: Array<Received>; readonly server: Http.Server }, Error>((resume) => {
    const received: Array<Received> = []
    const server = Http.createServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (c: Buffer) => chunks.push(c))
      request.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        let body: unknown = text
        try {
          body = JSON.parse(text)
        } catch {
          // kept as text
        }
        received.push({ path: request.url ?? "", headers: request.headers, body })
        response.writeHead(200, { "content-type": "text/plain" }).end("ok")
      })
    })
    server.once("error", (e) => resume(Effect.fail(e)))
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      resume(Effect.succeed({ url: `http://127.0.0.1:${port}`, received, server }))
    })
  }),
  ({ server }) =>
    Effect.callback<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
)
