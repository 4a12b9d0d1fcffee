import * as Http from "node:http"
import { dispatchFairly } from "./FairDispatch.ts"

const sentences: Record<string, string> = {
  HPE_HEADER_OVERFLOW: "the request headers are too large (over 16 KiB); send fewer or shorter headers",
  HPE_INVALID_HEADER_TOKEN: "a request header holds characters HTTP does not allow (control characters, or a bad header name); send plain text",
  HPE_INVALID_METHOD: "the request method is not valid HTTP; use GET or POST",
  HPE_INVALID_URL: "the request target is not a valid URL path",
  HPE_INVALID_VERSION: "the request is not HTTP/1.0 or HTTP/1.1",
  ERR_HTTP_REQUEST_TIMEOUT: "the request did not arrive in time (HTTP_HEADERS_TIMEOUT for the head, HTTP_REQUEST_TIMEOUT for the whole); send it at once"
}

const statusOf = (code: string): readonly [number, string] =>
  code === "HPE_HEADER_OVERFLOW"
    ? [431, "Request Header Fields Too Large"]
    : code === "ERR_HTTP_REQUEST_TIMEOUT"
    ? [408, "Request Timeout"]
    : [400, "Bad Request"]

/** Node's connection timeouts, set on purpose (docs/configuration.md, "HTTP connections"). */
export interface ConnectionTimeouts {
  /** Idle time between requests on a keep-alive connection before the server closes it. */
  readonly keepAliveMs: number
  /** Receiving the request head; a client that trickles headers is cut (408) after it. */
  readonly headersMs: number
  /** Receiving the whole request, head and body; a slow body is cut (408) after it. */
  readonly requestMs: number
  /** The longest run of request handlers per event-loop turn (FairDispatch.ts); 0: no slicing. */
  readonly dispatchSliceMs: number
  /** A request that waited this long for its turn is answered 503 without running (half the request deadline). */
  readonly queueMaxWaitMs: number
}

export const defaultConnectionTimeouts: ConnectionTimeouts = {
  keepAliveMs: 65_000,
  headersMs: 10_000,
  requestMs: 30_000,
  dispatchSliceMs: 1,
  queueMaxWaitMs: 5_000
}

/**
 * node:http's server, with an answer for requests its parser refuses before
 * they reach the app (control characters in a header, an oversize head):
 * Node's own is a bare `400 Bad Request` without a body; ours says in the
 * JSON of every other error what is wrong. Its timeouts are the given ones,
 * checked every second (Node's default checks every 30 s), and its request
 * handlers run in slices so that new connections are accepted under load.
 */
export const createServer = (timeouts: ConnectionTimeouts = defaultConnectionTimeouts): Http.Server => {
  const server = Http.createServer({
    keepAliveTimeout: timeouts.keepAliveMs,
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    connectionsCheckingInterval: 1_000
  })
  // 0 turns slicing off: handlers then run as Node emits them.
  if (timeouts.dispatchSliceMs > 0) dispatchFairly(server, timeouts.dispatchSliceMs, { maxWaitMs: timeouts.queueMaxWaitMs })
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || (error.code === "ECONNRESET")) return socket.destroy()
    const code = error.code ?? ""
    const [status, reason] = statusOf(code)
    const message = sentences[code] ?? "the request is not valid HTTP/1.1; check the request line and headers"
    const body = JSON.stringify({ code: status, data: null, msg: message })
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`
    )
  })
  return server
}
