import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { route } from "../packages/server/test/support/ReplayRecordings.ts"
import { seriousViolations } from "./support/axe.ts"
import { ALL_CLOSED, data, expect, test, withPrefs } from "./support/fixtures.ts"

/**
 * The money-flow card of the CN overview (docs/web.md). In the demo world it
 * says why there is none, without a failing request (the fixture fails on
 * console errors); against a marketgate whose SOURCES is eastmoney on a replay
 * server of the recorded ranking, its rows equal the API's.
 */
test.describe("money flow, demo world", () => {
  test.use({ worldTime: ALL_CLOSED })
  for (const [lang, heading, sentence] of [
    ["zh", "资金流向", "资金流向需要真实数据源（东方财富）"],
    ["en", "Money flow", "Money flow needs a real provider (Eastmoney)"]
  ] as const) {
    test(`${lang}: the CN overview says money flow needs a real provider; the US overview has no card`, async ({ page }) => {
      await withPrefs(lang)(page)
      await page.goto("/market/CN")
      const card = page.locator("section.money-flow")
      await expect(card).toHaveAttribute("data-state", "demo")
      await expect(card.locator("h2")).toHaveText(heading)
      await expect(card.locator("[data-field=money-flow-refusal]")).toContainText(sentence)
      await page.goto("/market/US")
      await expect(page.locator(".overview")).toHaveAttribute("data-ready", "true")
      await expect(page.locator("section.money-flow")).toHaveCount(0)
    })
  }
})

/** A replay server of the recorded provider answers (packages/server/test/support/ReplayRecordings.ts). */
const replayTest = test.extend<{}, { replayUrl: string }>({
  replayUrl: [async ({}, use) => {
    const server = Http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://replay")
      const { answer } = route(url.pathname, url.searchParams, req.headers as Record<string, string | undefined>)
      res.writeHead(answer.status, answer.headers).end(answer.body)
    })
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    await new Promise((r) => server.close(r))
  }, { scope: "worker" }],
  serverEnv: async ({ replayUrl }, use) => use({ SOURCES: "eastmoney", SOURCE_EASTMONEY_BASE_URL: replayUrl, PREWARM_COUNT: "0" })
})

replayTest.describe("money flow, eastmoney on recorded answers", () => {
  replayTest.use({ worldTime: ALL_CLOSED })
  replayTest("the card's rows equal GET /v1/market/moneyflow; inflows in the CN up colour, outflows in the down colour; amounts in 万/亿", async ({ page, request }) => {
    const api = await data(await request.get("/v1/market/moneyflow?market=CN&limit=10"))
    await withPrefs("zh")(page)
    await page.goto("/market/CN")
    const card = page.locator("section.money-flow")
    await expect(card).toHaveAttribute("data-state", "ready")
    const rows = card.locator("#money-flow tbody tr")
    await expect(rows).toHaveCount(10)
    for (const [i, e] of (api.entries as Array<any>).entries()) {
      await expect(rows.nth(i)).toHaveAttribute("data-symbol", e.symbol)
      await expect(rows.nth(i).locator("td").nth(2)).toHaveAttribute("data-value", String(e.main_net))
    }
    // 五粮液: main net 188,792,729 → 1.89亿, an inflow (up); medium −88,896,816 → an outflow (down).
    const first = rows.nth(0)
    await expect(first.locator("td").nth(2)).toHaveText("1.89亿")
    await expect(first.locator("td").nth(2)).toHaveClass(/\bup\b/)
    await expect(first.locator("td").nth(6)).toHaveText("-8889.68万")
    await expect(first.locator("td").nth(6)).toHaveClass(/\bdown\b/)
    // CN colours: up is red, down is green.
    const colour = (n: number) => first.locator("td").nth(n).evaluate((el) => getComputedStyle(el).color)
    const [up, down] = [await colour(2), await colour(6)]
    const rgb = (c: string) => c.match(/\d+/g)!.map(Number)
    expect(rgb(up)[0]!).toBeGreaterThan(rgb(up)[1]!)
    expect(rgb(down)[1]!).toBeGreaterThan(rgb(down)[0]!)
    expect(await seriousViolations(page)).toEqual([])
  })
})
