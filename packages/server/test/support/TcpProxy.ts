import { Effect } from "effect"
import * as Net from "node:net"

export interface TcpProxy {
  readonly port: number
  /** Connections opened through the proxy so far. */
  readonly accepted: () => number
  /** Every open connection is reset and new ones are reset on arrival: the server is gone. */
  readonly cut: Effect.Effect<void>
  /** Each chunk, either way, waits this long before it is passed on (0: none): a slow network. */
  readonly delay: (ms: number) => Effect.Effect<void>
  /** Connections are passed through again. */
  readonly restore: Effect.Effect<void>
}

/**
 * A TCP proxy on a free loopback port in front of `target` (e.g. PostgreSQL),
 * under the test's control: cut, slowed, restored. Closed with the scope.
 */
export const tcpProxy = (target: { readonly host: string; readonly port: number }) =>
  Effect.acquireRelease(
    Effect.callback<{ proxy: TcpProxy; server: Net.Server; sockets: Set<Net.Socket> }, Error>((resume) => {
      let mode: "pass" | "cut" = "pass"
      let delayMs = 0
      let accepted = 0
      const sockets = new Set<Net.Socket>()
      const track = (socket: Net.Socket) => {
        sockets.add(socket)
        socket.once("close", () => sockets.delete(socket))
        socket.on("error", () => {})
      }
      const pipe = (from: Net.Socket, to: Net.Socket) => {
        from.on("data", (chunk: Buffer) => {
          if (delayMs === 0) to.write(chunk)
          else {
            // Keep order under a delay: pause, pass the chunk on later, resume.
            from.pause()
            setTimeout(() => {
              if (!to.destroyed) to.write(chunk)
              from.resume()
            }, delayMs)
          }
        })
        from.once("end", () => to.end())
        from.once("close", () => to.destroy())
      }
      const server = Net.createServer((client) => {
        track(client)
        if (mode === "cut") return void client.resetAndDestroy()
        accepted++
        const upstream = Net.connect(target)
        track(upstream)
        pipe(client, upstream)
        pipe(upstream, client)
      })
      server.once("error", (error) => resume(Effect.fail(error)))
      server.listen(0, "127.0.0.1", () => {
        const address = server.address() as Net.AddressInfo
        const proxy: TcpProxy = {
          port: address.port,
          accepted: () => accepted,
          cut: Effect.sync(() => {
            mode = "cut"
            for (const socket of sockets) socket.resetAndDestroy()
          }),
          delay: (ms) => Effect.sync(() => void (delayMs = ms)),
          restore: Effect.sync(() => {
            mode = "pass"
            delayMs = 0
          })
        }
        resume(Effect.succeed({ proxy, server, sockets }))
      })
    }),
    ({ server, sockets }) =>
      Effect.callback<void>((resume) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ proxy }) => proxy))
