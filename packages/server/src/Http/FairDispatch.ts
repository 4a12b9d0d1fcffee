import type * as Http from "node:http"

/**
 * Runs a server's `request` handlers in slices of bounded length, so that
 * serving the connections already open cannot starve the ones waiting to be
 * accepted.
 *
 * Why: libuv (Node 24) accepts one connection per event-loop turn. With 1,000
 * keep-alive connections each holding a request, one turn runs ~1,000
 * handlers (≈ 300 ms here), so new connections are accepted at a few per
 * second and wait in the kernel's accept queue until the client times out
 * (autocannon -c 1000 got 0–774 timeouts per 10 s). Here Node's parser still
 * reads every request at once, but the handlers run from a FIFO queue,
 * `sliceMs` of them per turn; the turn ends, the loop polls again and accepts
 * the next connection. Order per connection is kept (FIFO; Node itself queues
 * pipelined answers in order), and the total work is the same.
 *
 * When the service is short of CPU the queue is where requests wait, so it
 * is bounded in time: a request that waited `maxWaitMs` (half the request
 * deadline) is answered at once with a 503 saying the service is overloaded,
 * without running its handler (load shedding: the work it would add is what
 * makes everyone late).
 *
 * Timing uses `performance.now()`: this is Node-level plumbing below the
 * Effect runtime, it measures a slice and never schedules by wall time.
 */
export const OVERLOAD_RETRY_AFTER_SECONDS = 2

const shedBody = (waitedMs: number) =>
  JSON.stringify({
    code: 503,
    data: null,
    msg: `the service is overloaded: this request waited ${Math.round(waitedMs)} ms for its turn and was not started; ` +
      `retry in ${OVERLOAD_RETRY_AFTER_SECONDS} seconds, and spread or slow your requests`,
    performance: { latency_ms: Math.round(waitedMs * 1000) / 1000, trace_id: "", cache_hit: false }
  })

/** Answers a request that is not run: 503, Retry-After, the /v1 envelope. */
const shed = (res: Http.ServerResponse, waitedMs: number) => {
  const body = shedBody(waitedMs)
  res.writeHead(503, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "retry-after": String(OVERLOAD_RETRY_AFTER_SECONDS),
    "x-content-type-options": "nosniff"
  })
  res.end(body)
}

export const dispatchFairly = (
  server: Http.Server,
  sliceMs: number,
  options: { readonly maxWaitMs?: number } = {}
): Http.Server => {
  const maxWaitMs = options.maxWaitMs ?? Number.POSITIVE_INFINITY
  const queue: Array<readonly [Http.IncomingMessage, Http.ServerResponse, number]> = []
  let head = 0
  let scheduled = false
  const emit = server.emit.bind(server)

  const drain = () => {
    scheduled = false
    let now = performance.now()
    const until = now + sliceMs
    // At least one request per slice, however slow, so the queue always moves.
    do {
      const next = queue[head]
      if (next === undefined) break
      queue[head++] = undefined as never
      // A closed connection needs no handler: Node answered nothing and nothing waits.
      if (next[1].destroyed || next[0].socket.destroyed) continue
      if (now - next[2] >= maxWaitMs) {
        shed(next[1], now - next[2])
      } else {
        emit("request", next[0], next[1])
      }
      now = performance.now()
    } while (now < until)
    if (head === queue.length) {
      queue.length = 0
      head = 0
    } else {
      if (head > 1024) {
        queue.splice(0, head)
        head = 0
      }
      schedule()
    }
  }

  const schedule = () => {
    if (scheduled) return
    scheduled = true
    setImmediate(drain)
  }

  server.emit = ((event: string | symbol, ...args: Array<unknown>): boolean => {
    if (event !== "request") return emit(event as string, ...args)
    queue.push([args[0] as Http.IncomingMessage, args[1] as Http.ServerResponse, performance.now()])
    schedule()
    return true
  }) as Http.Server["emit"]
  return server
}
