/**
 * The bare `node:http` peer of `npm run bench:load`: a child process (forked
 * by run.ts) that answers each class of request of the load's mix with the
 * bytes marketgate answered for one request of that class, whatever the
 * query: the same offered load and answer sizes, none of the work. It also
 * reports its own event-loop delay and RSS on `GET /__stats`, as marketgate's
 * `/metrics` does.
 *
 * IPC: run.ts sends one `LoadPeerConfig`; this process answers
 * `{ type: "listening", port }` and serves until killed or orphaned.
 */
import { createServer } from "node:http"
import { monitorEventLoopDelay } from "node:perf_hooks"
import { listenAndReport, type PeerMessage, runPeer } from "../support/ipcPeer.ts"

export interface LoadPeerAnswer {
  /** The path prefix it answers (`/v1/quotes`, `/v1/bars/`, `/v1/indicators/`, `/v1/bars/batch`). */
  readonly prefix: string
  readonly method: "GET" | "POST"
  readonly contentType: string
  readonly bodyBase64: string
}

export interface LoadPeerConfig {
  readonly type: "config"
  readonly host: string
  readonly answers: ReadonlyArray<LoadPeerAnswer>
}

export type LoadPeerMessage = PeerMessage

const serve = (config: LoadPeerConfig) => {
  // Longest prefix first, so /v1/bars/batch wins over /v1/bars/.
  const answers = [...config.answers]
    .sort((a, b) => b.prefix.length - a.prefix.length)
    .map((a) => ({ ...a, body: Buffer.from(a.bodyBase64, "base64") }))
  const lag = monitorEventLoopDelay({ resolution: 10 })
  lag.enable()
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const url = req.url ?? ""
    if (url === "/__stats") {
      const body = JSON.stringify({ lagP99Seconds: lag.percentile(99) / 1e9, rssBytes: process.memoryUsage.rss() })
      lag.reset()
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
      res.end(body)
      return
    }
    const answer = answers.find((a) => a.method === req.method && url.startsWith(a.prefix))
    // A POST body is read to its end before answering, as any server must.
    req.resume()
    req.on("end", () => {
      if (answer === undefined) {
        res.writeHead(404, { "content-type": "text/plain", "content-length": "10" })
        res.end("not found\n")
        return
      }
      res.writeHead(200, { "content-type": answer.contentType, "content-length": String(answer.body.length) })
      res.end(answer.body)
    })
  })
  listenAndReport(server, config.host, 4096)
}

runPeer("bare-peer.ts", "bench/load/run.ts", serve)
