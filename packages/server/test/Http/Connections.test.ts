import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Http from "node:http"
import * as Net from "node:net"
import { dispatchFairly } from "../../src/Http/FairDispatch.ts"
import { createServer } from "../../src/Http/NodeServer.ts"

/** A stand-in for the pair Node's parser emits: only what the dispatcher looks at. */
const fakeRequest = (n: number) =>
  [{ n, socket: { destroyed: false } }, { destroyed: false }] as unknown as readonly [Http.IncomingMessage, Http.ServerResponse]

/** Burns the CPU for longer than the slice, as a busy handler does. */
const busy = (ms: number) => {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // spin
  }
}

describe("HTTP connections: fair dispatch and timeouts", () => {
  it.effect("runs handlers in FIFO order, yielding the event loop between slices", () =>
    Effect.callback<{ order: Array<number>; beforeOtherWork: number }>((resume) => {
      const server = dispatchFairly(new Http.Server(), 1)
      const order: Array<number> = []
      server.on("request", (req: Http.IncomingMessage & { n: number }) => {
        order.push(req.n)
        busy(3)
        if (order.length === 10) resume(Effect.succeed({ order, beforeOtherWork }))
      })
      for (let n = 0; n < 10; n++) server.emit("request", ...fakeRequest(n))
      // Nothing ran yet: the parser's turn is not spent on handlers.
      assert.strictEqual(order.length, 0)
      let beforeOtherWork = -1
      // Other work of the loop (an accept, a timer) gets in after the first slice, not after all ten.
      setImmediate(() => {
        beforeOtherWork = order.length
      })
    }).pipe(
      Effect.map(({ order, beforeOtherWork }) => {
        assert.deepStrictEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        assert.strictEqual(beforeOtherWork, 1)
      })
    ))

  it.effect("skips the handler of a request whose connection is already gone", () =>
    Effect.callback<Array<number>>((resume) => {
      const server = dispatchFairly(new Http.Server(), 1)
      const handled: Array<number> = []
      server.on("request", (req: Http.IncomingMessage & { n: number }) => {
        handled.push(req.n)
        if (req.n === 2) resume(Effect.succeed(handled))
      })
      const [gone, goneRes] = fakeRequest(1)
      ;(gone.socket as { destroyed: boolean }).destroyed = true
      server.emit("request", ...fakeRequest(0))
      server.emit("request", gone, goneRes)
      server.emit("request", ...fakeRequest(2))
    }).pipe(Effect.map((handled) => assert.deepStrictEqual(handled, [0, 2]))))

  it.effect("a request that waited its maximum for a turn is answered 503 with Retry-After, without running", () =>
    Effect.callback<{ handled: Array<number>; shed: Array<{ status: number; headers: Record<string, unknown>; body: string }> }>((resume) => {
      // Each handler is slower than the longest wait, so whoever queued behind the first has waited too long.
      const server = dispatchFairly(new Http.Server(), 1, { maxWaitMs: 2 })
      const handled: Array<number> = []
      const shed: Array<{ status: number; headers: Record<string, unknown>; body: string }> = []
      server.on("request", (req: Http.IncomingMessage & { n: number }) => {
        handled.push(req.n)
        busy(5)
      })
      for (let n = 0; n < 3; n++) {
        const [req] = fakeRequest(n)
        const res = {
          destroyed: false,
          status: 0,
          headers: {} as Record<string, unknown>,
          writeHead(status: number, headers: Record<string, unknown>) {
            this.status = status
            this.headers = headers
          },
          end(body: string) {
            shed.push({ status: this.status, headers: this.headers, body })
            if (handled.length + shed.length === 3) resume(Effect.succeed({ handled, shed }))
          }
        }
        server.emit("request", req, res)
      }
      setImmediate(() => {
        if (handled.length + shed.length === 3) resume(Effect.succeed({ handled, shed }))
      })
    }).pipe(
      Effect.map(({ handled, shed }) => {
        assert.deepStrictEqual(handled, [0])
        assert.strictEqual(shed.length, 2)
        for (const answer of shed) {
          assert.strictEqual(answer.status, 503)
          assert.strictEqual(answer.headers["retry-after"], "2")
          const body = JSON.parse(answer.body)
          assert.strictEqual(body.code, 503)
          assert.match(body.msg, /^the service is overloaded: .* retry in 2 seconds/)
        }
      })
    ))

  it.effect("answers 408 to a client that never finishes its request head", () =>
    Effect.callback<string>((resume) => {
      const server = createServer({ keepAliveMs: 5_000, headersMs: 1_000, requestMs: 2_000, dispatchSliceMs: 1, queueMaxWaitMs: 5_000 })
      server.on("request", (_req, res) => res.end("unexpected"))
      server.listen(0, "127.0.0.1", () => {
        const address = server.address() as Net.AddressInfo
        const socket = Net.connect({ port: address.port, host: "127.0.0.1" })
        const chunks: Array<Buffer> = []
        socket.on("data", (c: Buffer) => chunks.push(c))
        socket.on("error", () => {})
        socket.on("close", () => server.close(() => resume(Effect.succeed(Buffer.concat(chunks).toString("utf8")))))
        // Half a head, then silence.
        socket.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
      })
    }).pipe(Effect.map((answer) => assert.match(answer, /^HTTP\/1\.1 408 /))))
})
