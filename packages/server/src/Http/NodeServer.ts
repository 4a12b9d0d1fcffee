import * as Http from "node:http"

const sentences: Record<string, string> = {
  HPE_HEADER_OVERFLOW: "the request headers are too large (over 16 KiB); send fewer or shorter headers",
  HPE_INVALID_HEADER_TOKEN: "a request header holds characters HTTP does not allow (control characters, or a bad header name); send plain text",
  HPE_INVALID_METHOD: "the request method is not valid HTTP; use GET or POST",
  HPE_INVALID_URL: "the request target is not a valid URL path",
  HPE_INVALID_VERSION: "the request is not HTTP/1.0 or HTTP/1.1"
}

/**
 * node:http's server, with an answer for requests its parser refuses before
 * they reach the app (control characters in a header, an oversize head):
 * Node's own is a bare `400 Bad Request` without a body; ours says in the
 * JSON of every other error what is wrong.
 */
export const createServer = (): Http.Server => {
  const server = Http.createServer()
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || (error.code === "ECONNRESET")) return socket.destroy()
    const code = error.code ?? ""
    const status = code === "HPE_HEADER_OVERFLOW" ? 431 : 400
    const message = sentences[code] ?? "the request is not valid HTTP/1.1; check the request line and headers"
    const body = JSON.stringify({ code: status, data: null, msg: message })
    socket.end(
      `HTTP/1.1 ${status} ${status === 431 ? "Request Header Fields Too Large" : "Bad Request"}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`
    )
  })
  return server
}
