import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Schedule } from "effect"
import * as Net from "node:net"
import * as Path from "node:path"
import { tempDir } from "./support/TestDatabase.ts"
import { spawnService } from "./support/ServiceProcess.ts"

const freePort = Effect.promise(
  () =>
    new Promise<number>((resolve) => {
      const server = Net.createServer().listen(0, "127.0.0.1", () => {
        const port = (server.address() as Net.AddressInfo).port
        server.close(() => resolve(port))
      })
    })
)

// The process as `npm start` runs it: embedded store, simulated provider.
describe("the service process", () => {
  it.live("starts on its embedded defaults, answers, and exits cleanly on SIGTERM", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir("mg-process-")
      const port = yield* freePort
      const service = yield* spawnService({ PORT: String(port), HOST: "127.0.0.1", DATA_DIR: Path.join(dir, "data") })
      const listening = yield* service.waitForLine((l) => l.includes("Listening on"), "60 seconds")
      assert.strictEqual(JSON.parse(listening).level, "info")
      const ready = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/ready`))
      assert.strictEqual(ready.status, 200)
      const bars = yield* Effect.promise(() =>
        fetch(`http://127.0.0.1:${port}/v1/bars/600519.SH?interval=1d&from=2024-01-01&to=2024-12-31`)
          .then((r) => r.json() as Promise<{ data: { bars: Array<unknown> } }>)
      )
      assert.strictEqual(bars.data.bars.length, 242)
      // Every line on stdout is one JSON object.
      for (const line of service.lines) assert.doesNotThrow(() => JSON.parse(line), line)
      service.child.kill("SIGTERM")
      assert.strictEqual(yield* service.exited, 0)
    }), { timeout: 90_000 })

  it.live("drains a request in flight before exiting on SIGTERM", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir("mg-process-")
      const port = yield* freePort
      // Every provider call takes 1.5 s, so the request is surely in flight at SIGTERM.
      const service = yield* spawnService({
        PORT: String(port),
        HOST: "127.0.0.1",
        DATA_DIR: Path.join(dir, "data"),
        SIMULATED_LATENCY_MS: "1500"
      })
      yield* service.waitForLine((l) => l.includes("Listening on"), "60 seconds")
      const inFlight = yield* Effect.forkChild(Effect.promise(() =>
        fetch(`http://127.0.0.1:${port}/v1/quotes?symbols=600519.SH`).then((r) => r.status)
      ))
      // Wait for the condition itself: the server reports the request as active.
      yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text())).pipe(
        Effect.repeat({
          schedule: Schedule.spaced("20 millis"),
          until: (text) => /http_requests_active\{method="GET",route="\/v1\/quotes"\} 1/.test(text)
        }),
        Effect.timeout("10 seconds")
      )
      service.child.kill("SIGTERM")
      assert.strictEqual(yield* Fiber.join(inFlight), 200, service.lines.slice(-12).join("\n"))
      assert.strictEqual(yield* service.exited, 0)
    }), { timeout: 90_000 })

  it.live("a bad setting stops the process with a message naming the variable", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir("mg-process-")
      for (const [name, value] of [["PORT", "not-a-port"], ["SOURCES", "nope"], ["LOG_LEVEL", "loud"]] as const) {
        const service = yield* spawnService({ [name]: value, DATA_DIR: Path.join(dir, "data"), PORT: "0" })
        const code = yield* service.exited
        assert.notStrictEqual(code, 0, name)
        assert.isTrue(service.lines.some((l) => l.includes(name)), `${name}: ${service.lines.join("\n")}`)
      }
    }), { timeout: 90_000 })
})
