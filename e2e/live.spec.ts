import { expect, test, withPrefs } from "./support/fixtures.ts"
import { openSymbol } from "./support/symbolPage.ts"

const SYMBOL = "600519.SH"

interface Received {
  readonly quote: { readonly ts: string; readonly volume: number; readonly price: number }
  readonly at: number
}

/** An independent subscriber to the stream, in the test process, noting when each quote arrives. */
const subscribe = async (url: string, onQuote: (r: Received) => void, signal: AbortSignal) => {
  const response = await fetch(`${url}/v1/stream/quotes?symbols=${SYMBOL}`, { signal })
  expect(response.headers.get("content-type")).toContain("text/event-stream")
  const reader = response.body!.getReader()
  let buffer = ""
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return
        buffer += new TextDecoder().decode(value)
        let end: number
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1]
          const dataLine = /^data: (.*)$/m.exec(block)?.[1]
          if (event === "quote" && dataLine !== undefined) onQuote({ quote: JSON.parse(dataLine), at: Date.now() })
        }
      }
    } catch {
      // aborted at the end of the test
    }
  })()
}

test.setTimeout(150_000)

test("a quote change in the simulated world reaches an open page within 2 s", async ({ page, app }) => {
  await withPrefs("en")(page)
  await openSymbol(page, SYMBOL)
  await expect(page.locator(".live")).toHaveAttribute("data-live", "live")
  const header = page.locator(".quote-header")
  await expect(header).toHaveAttribute("data-ts", /Z$/)

  const controller = new AbortController()
  const received: Array<Received> = []
  await subscribe(app.url, (r) => received.push(r), controller.signal)
  try {
    // The first event is the latest quote; the simulated one moves each minute of the session: wait for the move.
    await expect.poll(() => received.length, { timeout: 10_000 }).toBeGreaterThan(0)
    const first = received[0]!.quote
    const moved = () => received.find((r) => r.quote.volume !== first.volume)
    await expect.poll(() => moved() !== undefined, { timeout: 100_000, intervals: [100] }).toBe(true)
    const change = moved()!
    // When the world moved: the minute boundary before the poll that saw it (the poll runs every 250 ms).
    const ts = Date.parse(change.quote.ts)
    const movedAgoMs = ts - Math.floor(ts / 60_000) * 60_000
    expect(movedAgoMs).toBeLessThan(1_000)
    const movedAt = change.at - movedAgoMs
    const left = 2_000 - (Date.now() - movedAt)
    expect(left).toBeGreaterThan(0)
    await expect(header).toHaveAttribute("data-ts", change.quote.ts, { timeout: left })
    await expect(page.locator("[data-field=volume]")).toHaveAttribute("data-value", String(change.quote.volume))
  } finally {
    controller.abort()
  }
})
