import { Deferred, Duration, Effect, Schedule } from "effect"
import { Redis } from "ioredis"
import * as ChildProcess from "node:child_process"
import * as Net from "node:net"

/** The Redis server the integration tests share; each test file works under its own key namespace. */
export const testRedisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379"

/** `mg:test:<label>:<random>:v1`: only letters, digits and colons, so it is never a glob pattern. */
export const randomNamespace = (label: string) =>
  `mg:test:${label.toLowerCase().replace(/[^a-z0-9]/g, "")}:${process.pid}${Math.random().toString(36).slice(2, 10)}:v1`

/** A plain ioredis client for the test's own inspection, closed with the scope. */
export const redisClient = (url: string) =>
  Effect.acquireRelease(
    Effect.tryPromise(async () => {
      const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
      redis.on("error", () => {})
      await redis.connect()
      return redis
    }),
    (redis) => Effect.promise(() => redis.quit().catch(() => redis.disconnect()))
  )

/** Every key that starts with `prefix` (SCAN, never KEYS). `prefix` must hold no glob characters. */
export const scanKeys = (redis: Redis, prefix: string) =>
  Effect.tryPromise(async () => {
    const found: Array<string> = []
    let cursor = "0"
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000)
      cursor = next
      found.push(...keys)
    } while (cursor !== "0")
    return found.sort()
  })

/** Deletes the keys of one namespace only (never FLUSHALL); returns how many. */
export const deleteNamespace = (url: string, namespace: string) =>
  Effect.scoped(
    Effect.gen(function*() {
      const redis = yield* redisClient(url)
      const keys = yield* scanKeys(redis, `${namespace}:`)
      if (keys.length > 0) yield* Effect.tryPromise(() => redis.del(...keys))
      return keys.length
    })
  )

/** A fresh namespace for one test file, whose keys are deleted when the scope closes. */
export const scopedNamespace = (label: string, url: string = testRedisUrl) =>
  Effect.acquireRelease(
    Effect.sync(() => randomNamespace(label)),
    (namespace) => deleteNamespace(url, namespace).pipe(Effect.ignore)
  )

/** A TCP port nothing listens on right now. */
export const freePort = Effect.callback<number, Error>((resume) => {
  const server = Net.createServer()
  server.once("error", (e) => resume(Effect.fail(e)))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** One `PING` over a raw socket: true when a Redis answers `+PONG` within 500 ms. */
export const pingRedis = (port: number) =>
  Effect.callback<boolean>((resume) => {
    const socket = Net.connect({ port, host: "127.0.0.1" })
    let answer = ""
    const finish = (ok: boolean) => {
      socket.destroy()
      resume(Effect.succeed(ok))
    }
    socket.setTimeout(500, () => finish(false))
    socket.once("error", () => finish(false))
    socket.on("data", (chunk) => {
      answer += chunk.toString("utf8")
      if (answer.includes("\r\n")) finish(answer.startsWith("+PONG"))
    })
    socket.once("connect", () => socket.write("PING\r\n"))
  })

/** Polls `check` every `every` until it answers true, failing with `message` after `within`. */
export const waitUntil = <E, R>(
  check: Effect.Effect<boolean, E, R>,
  options: { readonly within: Duration.Input; readonly every?: Duration.Input; readonly message: () => string }
) =>
  check.pipe(
    Effect.repeat({ schedule: Schedule.spaced(options.every ?? "50 millis"), until: (ok) => ok }),
    Effect.timeoutOrElse({
      duration: options.within,
      orElse: () => Effect.fail(new Error(`not within ${Duration.format(Duration.fromInputUnsafe(options.within))}: ${options.message()}`))
    }),
    Effect.asVoid
  )

export interface RedisServerProcess {
  readonly port: number
  readonly url: string
  readonly pid: number
  /** SIGKILL, then waits for the process to be gone. */
  readonly kill: Effect.Effect<void>
}

/**
 * `redis-server --port <port> --save "" --appendonly no` as a child process,
 * ready (answers PING) when this succeeds, killed when the scope closes.
 * With `dataDir`, every write is in an append-only file there (fsync always),
 * so a server started again on the same directory has the keys a killed one had.
 */
export const spawnRedisServer = (port: number, options: { readonly dataDir?: string | undefined } = {}) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const persistence = options.dataDir === undefined
        ? ["--appendonly", "no"]
        : ["--appendonly", "yes", "--appendfsync", "always", "--dir", options.dataDir]
      const child = ChildProcess.spawn(
        "redis-server",
        ["--port", String(port), "--bind", "127.0.0.1", "--save", "", ...persistence, "--protected-mode", "no"],
        { stdio: ["ignore", "pipe", "pipe"] }
      )
      const output: Array<string> = []
      child.stdout!.on("data", (c: Buffer) => output.push(c.toString("utf8")))
      child.stderr!.on("data", (c: Buffer) => output.push(c.toString("utf8")))
      const exited = yield* Deferred.make<void>()
      child.once("exit", () => Deferred.doneUnsafe(exited, Effect.void))
      const kill = Effect.suspend(() => {
        if (child.exitCode !== null || child.signalCode !== null) return Effect.void
        child.kill("SIGKILL")
        return Deferred.await(exited).pipe(Effect.timeout("5 seconds"), Effect.ignore)
      })
      yield* waitUntil(pingRedis(port), {
        within: "10 seconds",
        message: () => `redis-server on port ${port} did not answer PING; it printed:\n${output.join("")}`
      }).pipe(Effect.tapError(() => kill))
      return { port, url: `redis://127.0.0.1:${port}`, pid: child.pid!, kill } satisfies RedisServerProcess
    }),
    (server) => server.kill
  )
