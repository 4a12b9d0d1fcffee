/**
 * The child side of a benchmark peer (a server forked by a bench's run.ts so
 * it has its own event loop): one config message in over IPC, `listening`
 * with the port (or `error`) out, and gone when the parent goes away.
 */
import type { Server } from "node:http"

export type PeerMessage =
  | { readonly type: "listening"; readonly port: number }
  | { readonly type: "error"; readonly message: string }

export const sendToParent = (message: PeerMessage) => {
  process.send?.(message)
}

const fail = (message: string): never => {
  sendToParent({ type: "error", message })
  process.exit(1)
}

/** Listens on a free port of `host` and tells the parent which; a server error ends the child. */
export const listenAndReport = (server: Server, host: string, backlog?: number) => {
  server.on("error", (error) => fail(error.message))
  server.listen({ port: 0, host, ...(backlog === undefined ? {} : { backlog }) }, () => {
    const address = server.address()
    if (address === null || typeof address === "string") fail("no TCP address")
    else sendToParent({ type: "listening", port: address.port })
  })
}

/** Runs `serve` with the parent's config message; `file` and `parent` name them in the refusal to run alone. */
export const runPeer = <C extends { readonly type: "config" }>(file: string, parent: string, serve: (config: C) => void | Promise<void>) => {
  if (process.send === undefined) {
    console.error(`${file} is started by ${parent} over IPC, not on its own`)
    process.exit(2)
  }
  process.once("message", (message: C) => {
    if (message?.type !== "config") fail("expected a config message")
    Promise.resolve(serve(message)).catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)))
  })
  // The parent went away (crash, kill -9): do not linger.
  process.on("disconnect", () => process.exit(0))
}
