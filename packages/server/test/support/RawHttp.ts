import { Effect } from "effect"
import { HttpServer } from "effect/http"
import * as Net from "node:net"

export interface RawAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** The port of the test server (NodeHttpServer.layerTest listens on a random loopback port). */
export const serverPort = Effect.map(HttpServer.HttpServer, (server) => ("port" in server.address ? server.address.port : 0))

/**
 * One HTTP/1.1 request written byte for byte on a fresh socket: header values
 * in any bytes (UTF-8, control characters) that fetch refuses to send.
 * Answers the parsed status line, headers and body; a connection the server
 * drops answers status 0.
 */
export const rawRequest = (port: number, head: Buffer | string, body: Buffer | string = "") =>
  Effect.callback<RawAnswer>((resume) => {
    const socket = Net.connect({ port, host: "127.0.0.1" })
    const chunks: Array<Buffer> = []
    const finish = () => {
      const text = Buffer.concat(chunks).toString("utf8")
      const split = text.indexOf("\r\n\r\n")
      const lines = (split < 0 ? text : text.slice(0, split)).split("\r\n")
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? "")?.[1] ?? 0)
      const headers: Record<string, string> = {}
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":")
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
      }
      let rest = split < 0 ? "" : text.slice(split + 4)
      if (headers["transfer-encoding"] === "chunked") {
        let out = ""
        while (rest.length > 0) {
          const nl = rest.indexOf("\r\n")
          const size = parseInt(rest.slice(0, nl), 16)
          if (!(size > 0)) break
          out += rest.slice(nl + 2, nl + 2 + size)
          rest = rest.slice(nl + 2 + size + 2)
        }
        rest = out
      }
      resume(Effect.succeed({ status, headers, body: rest }))
    }
    socket.setTimeout(10_000, () => socket.destroy())
    socket.on("data", (c: Buffer) => chunks.push(c))
    socket.once("error", () => {})
    socket.once("close", finish)
    socket.once("connect", () => {
      socket.write(Buffer.concat([typeof head === "string" ? Buffer.from(head, "utf8") : head, typeof body === "string" ? Buffer.from(body, "utf8") : body]))
    })
  })

/** A request head: request line, `Host`, `Connection: close`, the given headers (values written as UTF-8). */
export const head = (method: string, path: string, headers: Record<string, string> = {}) =>
  Buffer.from(
    `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n` +
      Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("") +
      "\r\n",
    "utf8"
  )
