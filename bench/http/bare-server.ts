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
import { listenAndReport, type PeerMessage, runPeer } from "../support/ipcPeer.ts"

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

export type BareServerMessage = PeerMessage

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
  listenAndReport(server, config.host)
}

runPeer("bare-server.ts", "bench/http/run.ts", serve)
