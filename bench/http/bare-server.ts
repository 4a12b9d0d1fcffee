/**
 * The bare `node:http` peer of the HTTP benchmark: a child process (forked
 * by run.ts, so it has its own event loop) that answers fixed paths with
 * fixed bytes and headers captured from marketgate. It does nothing else,
 * which makes it the ceiling a Node HTTP server can reach on this machine.
 *
 * Protocol over the IPC channel: run.ts sends one `BareServerConfig`; this
 * process answers `{ type: "listening", port }` (or `{ type: "error", message }`)
 * and serves until it is killed or its parent goes away.
 */
import { createServer, type OutgoingHttpHeaders } from "node:http"

export interface BareRoute {
  /** Path and query exactly as requested, e.g. `/v1/quotes?symbols=…`. */
  readonly url: string
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** The body, base64 (IPC messages are JSON). */
  readonly bodyBase64: string
}

export interface BareServerConfig {
  readonly type: "config"
  readonly host: string
  readonly routes: ReadonlyArray<BareRoute>
}

export type BareServerMessage =
  | { readonly type: "listening"; readonly port: number }
  | { readonly type: "error"; readonly message: string }

const send = (message: BareServerMessage) => {
  process.send?.(message)
}

const serve = (config: BareServerConfig) => {
  const routes = new Map<string, { status: number; headers: OutgoingHttpHeaders; body: Buffer }>()
  for (const route of config.routes) {
    const body = Buffer.from(route.bodyBase64, "base64")
    routes.set(route.url, {
      status: route.status,
      headers: { ...route.headers, "content-length": String(body.length) },
      body
    })
  }
  const notFound = Buffer.from("not found\n")

  const server = createServer((req, res) => {
    const route = req.method === "GET" ? routes.get(req.url ?? "") : undefined
    if (route === undefined) {
      res.writeHead(404, { "content-type": "text/plain", "content-length": String(notFound.length) })
      res.end(notFound)
      return
    }
    res.writeHead(route.status, route.headers)
    res.end(route.body)
  })
  server.on("error", (error) => {
    send({ type: "error", message: error.message })
    process.exit(1)
  })
  server.listen(0, config.host, () => {
    const address = server.address()
    if (address === null || typeof address === "string") {
      send({ type: "error", message: "no TCP address" })
      process.exit(1)
    }
    send({ type: "listening", port: address.port })
  })
}

if (process.send === undefined) {
  console.error("bare-server.ts is started by bench/http/run.ts over IPC, not on its own")
  process.exit(2)
}

process.once("message", (message: BareServerConfig) => {
  if (message?.type !== "config") {
    send({ type: "error", message: "expected a config message" })
    process.exit(1)
  }
  serve(message)
})
// The parent went away (crash, kill -9): do not linger.
process.on("disconnect", () => process.exit(0))
