import type { Quote } from "./types.ts"

export type LiveState = "live" | "reconnecting" | "off"

/**
 * Quotes of some symbols as they change, over `GET /v1/stream/quotes`
 * (server-sent events). The browser reconnects by itself after a network
 * error; after the server's `end` (it is shutting down) this reconnects.
 */
export const liveQuotes = (symbols: ReadonlyArray<string>, onQuote: (q: Quote) => void, onState: (s: LiveState) => void) => {
  let source: EventSource | undefined
  let retry: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  const open = () => {
    if (stopped) return
    const es = new EventSource(`/v1/stream/quotes?symbols=${symbols.map(encodeURIComponent).join(",")}`)
    source = es
    es.addEventListener("open", () => onState("live"))
    es.addEventListener("quote", (e) => onQuote(JSON.parse((e as MessageEvent<string>).data) as Quote))
    es.addEventListener("end", () => {
      es.close()
      onState("reconnecting")
      retry = setTimeout(open, 1000 + Math.random() * 2000)
    })
    es.addEventListener("error", () => onState(es.readyState === EventSource.CLOSED ? "off" : "reconnecting"))
  }
  open()
  return () => {
    stopped = true
    clearTimeout(retry)
    source?.close()
  }
}
