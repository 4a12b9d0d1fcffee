import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Context, Effect, Layer } from "effect"
import type { HttpClient } from "effect/http"
import type { MarketDataSource } from "../../src/Sources/MarketDataSource.ts"
import { type Answer, type Provider, route } from "./ReplayRecordings.ts"

export type { Provider } from "./ReplayRecordings.ts"

/** What a provider does instead of answering from its recordings. */
export type Fault =
  | { readonly _tag: "None" }
  | { readonly _tag: "Status"; readonly status: number; readonly headers?: Readonly<Record<string, string>> }
  /** Accepts the request and never answers, until the server closes. */
  | { readonly _tag: "Hang" }
  /** 200 with a body that is not what the provider sends. */
  | { readonly _tag: "Malformed" }
  /** 200 with the recorded body cut in half. */
  | { readonly _tag: "Truncated" }

export interface ReplayedRequest {
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  readonly headers: Readonly<Record<string, string | undefined>>
}

const none: Fault = { _tag: "None" }

const answerWith = (fault: Fault, recorded: Answer): Answer | "hang" => {
  switch (fault._tag) {
    case "None":
      return recorded
    case "Hang":
      return "hang"
    case "Status":
      return { status: fault.status, headers: fault.headers ?? {}, body: Buffer.from(`replayed fault: HTTP ${fault.status}`) }
    case "Malformed":
      return { status: 200, headers: recorded.headers, body: Buffer.from("<html><body>\u00ff\u0000 502 {{{ not what you asked for") }
    case "Truncated":
      return { ...recorded, status: 200, body: recorded.body.subarray(0, Math.floor(recorded.body.length / 2)) }
  }
}

/**
 * A loopback HTTP server that answers like Yahoo, Eastmoney, Sina and Tencent
 * from the recordings in test/fixtures, with a fault switch and a request log
 * per provider. Every adapter can use `baseUrl` as its base URL.
 */
export class ReplayServer extends Context.Service<ReplayServer, {
  readonly baseUrl: string
  readonly setFault: (provider: Provider, fault: Fault) => Effect.Effect<void>
  /** Runs `effect` with the fault on, and the provider healthy again afterwards. */
  readonly withFault: <A, E, R>(provider: Provider, fault: Fault, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Every request the provider received, oldest first. */
  readonly requests: (provider: Provider) => Effect.Effect<ReadonlyArray<ReplayedRequest>>
  /** Completes once the provider has received `count` requests in all. */
  readonly awaitRequests: (provider: Provider, count: number) => Effect.Effect<void>
}>()("test/ReplayServer") {
  static readonly layer = Layer.effect(
    ReplayServer,
    Effect.gen(function*() {
      // Plain maps: node's request callback reads them synchronously.
      const faults = new Map<Provider, Fault>()
      const log = new Map<Provider, Array<ReplayedRequest>>()
      const waiters = new Set<{ provider: Provider; count: number; wake: () => void }>()
      const hanging = new Set<ServerResponse>()

      const wakeWaiters = () => {
        for (const w of waiters) {
          if ((log.get(w.provider)?.length ?? 0) >= w.count) {
            waiters.delete(w)
            w.wake()
          }
        }
      }

      const handle = (req: IncomingMessage, res: ServerResponse) => {
        const url = new URL(req.url ?? "/", "http://replay")
        // What the adapters are expected to send: Sina's referer, W3C trace context.
        const headers = { referer: req.headers.referer, traceparent: req.headers.traceparent?.toString() }
        const { answer, provider } = route(url.pathname, url.searchParams, headers)
        if (provider === undefined) return send(res, answer)
        log.set(provider, [
          ...(log.get(provider) ?? []),
          { path: url.pathname, query: Object.fromEntries(url.searchParams), headers }
        ])
        wakeWaiters()
        const out = answerWith(faults.get(provider) ?? none, answer)
        if (out === "hang") {
          hanging.add(res)
          res.on("close", () => hanging.delete(res))
          return
        }
        send(res, out)
      }

      const server = yield* Effect.acquireRelease(
        Effect.callback<ReturnType<typeof createServer>>((resume) => {
          const s = createServer(handle)
          s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
        }),
        (s) =>
          Effect.callback<void>((resume) => {
            for (const res of hanging) res.destroy()
            s.close(() => resume(Effect.void))
            s.closeAllConnections()
          })
      )
      const { port } = server.address() as AddressInfo

      const setFault = (provider: Provider, fault: Fault) => Effect.sync(() => void faults.set(provider, fault))

      return ReplayServer.of({
        baseUrl: `http://127.0.0.1:${port}`,
        setFault,
        withFault: (provider, fault, effect) =>
          Effect.acquireUseRelease(setFault(provider, fault), () => effect, () => setFault(provider, none)),
        requests: (provider) => Effect.sync(() => [...(log.get(provider) ?? [])]),
        awaitRequests: (provider, count) =>
          Effect.callback<void>((resume) => {
            const waiter = { provider, count, wake: () => resume(Effect.void) }
            waiters.add(waiter)
            wakeWaiters()
            return Effect.sync(() => void waiters.delete(waiter))
          })
      })
    })
  )
}

const send = (res: ServerResponse, answer: Answer) => {
  res.writeHead(answer.status, { ...answer.headers, "content-length": String(answer.body.length) })
  res.end(answer.body)
}

/**
 * An adapter layer aimed at a fresh replay server, over the real undici
 * HttpClient; provides the source, the server and the client.
 */
export const replayed = <E>(
  layer: (options: { readonly baseUrl: string }) => Layer.Layer<MarketDataSource, E, HttpClient.HttpClient>
) =>
  Layer.unwrap(Effect.map(ReplayServer, (replay) => layer({ baseUrl: replay.baseUrl }))).pipe(
    Layer.provideMerge(Layer.mergeAll(ReplayServer.layer, NodeHttpClient.layerUndici))
  )
