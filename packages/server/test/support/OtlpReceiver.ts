import { Effect } from "effect"
import * as Http from "node:http"

/** A minimal OTLP/HTTP (JSON) trace receiver on loopback: every request body it was sent, as received. */
export const otlpReceiver = Effect.acquireRelease(
  Effect.callback<{ readonly port: number; readonly bodies: Array<string>; readonly server: Http.Server }>((resume) => {
    const bodies: Array<string> = []
    const server = Http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        bodies.push(Buffer.concat(chunks).toString("utf8"))
        res.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      resume(Effect.succeed({ port: typeof address === "object" && address !== null ? address.port : 0, bodies, server }))
    })
  }),
  ({ server }) => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
)
