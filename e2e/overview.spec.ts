import type { Page } from "@playwright/test"
import { ALL_CLOSED, CN_OPEN, data, expect, OVERVIEW_MISSING, test, withPrefs } from "./support/fixtures.ts"

/**
 * GET /v1/market/overview comes with issue 14. Until this branch has it, the
 * page must say so (the fallback branch below); once merged, the figures
 * must equal the API's.
 */
const compare = async (page: Page, o: any) => {
  await expect(page.locator(".as-of [data-status]")).toHaveAttribute("data-status", o.status)
  await expect(page.locator("[data-field=as_of]")).toHaveAttribute("datetime", o.as_of)
  for (const field of ["advancers", "decliners", "unchanged", "limit_up", "limit_down", "total"]) {
    await expect(page.locator(`[data-field=${field}]`)).toHaveAttribute("data-value", String(o.breadth[field]))
  }
  await expect(page.locator("[data-field=turnover]")).toHaveAttribute("data-value", String(o.turnover))
  const indices = page.locator(".indices li")
  await expect(indices).toHaveCount(o.indices.length)
  for (const [i, q] of (o.indices as Array<any>).entries()) {
    await expect(indices.nth(i)).toHaveAttribute("data-symbol", q.symbol)
    await expect(indices.nth(i).locator(".idx-price")).toHaveAttribute("data-value", String(q.price))
  }
  for (const [id, list] of [["top-gainers", o.top_gainers], ["top-losers", o.top_losers], ["most-active", o.most_active]] as const) {
    const rows = page.locator(`#${id} tbody tr`)
    await expect(rows).toHaveCount(list.length)
    for (const [i, q] of (list as Array<any>).entries()) {
      await expect(rows.nth(i)).toHaveAttribute("data-symbol", q.symbol)
      await expect(rows.nth(i).locator("td").nth(0)).toHaveAttribute("data-value", String(q.price))
      await expect(rows.nth(i).locator("td").nth(1)).toHaveAttribute("data-value", String(q.change_pct))
    }
  }
}

test.describe("market overview, markets closed", () => {
  test.use({ worldTime: ALL_CLOSED })
  test("the overview's figures equal the API's, for each market", async ({ page, request, consoleAllowed }) => {
    await withPrefs("en")(page)
    for (const market of ["CN", "US"] as const) {
      await page.goto(`/market/${market}`)
      await expect(page.locator(".overview")).toHaveAttribute("data-ready", "true")
      await expect(page.locator("h1")).toContainText(market === "CN" ? "China A-shares" : "US stocks")
      const answer = await request.get(`/v1/market/overview?market=${market}`)
      if (answer.status() === 404) {
        await expect(page.locator(".notice[data-missing=true]")).toContainText("GET /v1/market/overview answered 404")
        test.info().annotations.push({ type: "fallback", description: "GET /v1/market/overview is not in this build yet (issue 14)" })
        consoleAllowed.push(OVERVIEW_MISSING)
        continue
      }
      await compare(page, await data(answer))
    }
  })
})

test.describe("market overview, CN open", () => {
  test.use({ worldTime: CN_OPEN })
  test("refreshes itself while the market is open", async ({ page, request, consoleAllowed }) => {
    await withPrefs("zh")(page)
    await page.clock.install()
    const first = page.waitForRequest((r) => r.url().includes("/v1/market/overview"))
    await page.goto("/market/CN")
    await first
    await expect(page.locator(".overview")).toHaveAttribute("data-ready", "true")
    const answer = await request.get("/v1/market/overview?market=CN")
    const missing = answer.status() === 404
    const again = page.waitForRequest((r) => r.url().includes("/v1/market/overview"))
    // Open: asked again after 15 s; without the endpoint the page keeps trying once a minute.
    await page.clock.runFor(missing ? 60_000 : 15_000)
    await again
    if (missing) {
      consoleAllowed.push(OVERVIEW_MISSING)
      test.info().annotations.push({ type: "fallback", description: "GET /v1/market/overview is not in this build yet (issue 14)" })
    } else {
      expect((await data(answer)).status).toBe("open")
    }
  })
})
