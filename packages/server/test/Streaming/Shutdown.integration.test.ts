import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Net from "node:net"
import * as Path from "node:path"
import { spawnService } from "../support/ServiceProcess.ts"
import { tempDir } from "../support/TestDatabase.ts"

const freePort = Effect.promise(
  () =>
    new Promise<number>((resolve) => {
      const server = Net.createServer().listen(0, "127.0.0.1", () => {
        const port = (server.address() as Net.AddressInfo).port
        server.close(() => resolve(port))
      })
    })
)

/** Reads a server-sent-events body to its end, calling `onFirst` after the first event. */
const readAll = (response: Response, onFirst: () => void) =>
  Effect.promise(async () => {
    const reader = response.body!.getReader()
    let text = ""
    let first = false
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }))
      if (done) return text
      text += new TextDecoder().decode(value)
      if (!first && text.includes("\n\n")) {
        first = true
        onFirst()
      }
    }
  })

// The real process with an open stream: SIGTERM ends the stream with an `end`
// event (so the client knows to reconnect) before the server drains and exits 0.
describe("quote streams at shutdown", () => {
  it.live("an open stream gets `end`, then the process exits 0", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir("mg-stream-")
      const port = yield* freePort
      const service = yield* spawnService({ PORT: String(port), HOST: "127.0.0.1", DATA_DIR: Path.join(dir, "data"), LOG_LEVEL: "warn" })
      yield* Effect.promise(async () => {
        for (let i = 0; i < 600; i++) {
          const ok = await fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.status === 200, () => false)
          if (ok) return
          await new Promise((r) => setTimeout(r, 100))
        }
      })
      const response = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/v1/stream/quotes?symbols=600519.SH,AAPL.US`))
      assert.strictEqual(response.status, 200)
      assert.strictEqual(response.headers.get("content-type"), "text/event-stream")
      assert.strictEqual(response.headers.get("cache-control"), "no-store")
      const text = yield* readAll(response, () => service.child.kill("SIGTERM"))
      const events = text.trim().split("\n\n").map((block) => /^event: (.*)$/m.exec(block)?.[1])
      assert.deepStrictEqual(events.slice(0, 2), ["quote", "quote"])
      assert.strictEqual(events.at(-1), "end")
      assert.match(text, /data: \{"reason":"the server is shutting down; reconnect"\}/)
      assert.strictEqual(yield* service.exited, 0)
    }), { timeout: 90_000 })
})
