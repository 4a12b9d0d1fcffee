import { expect, OVERVIEW_MISSING, test, withPrefs } from "./support/fixtures.ts"
import { seriousViolations } from "./support/axe.ts"
import { openSymbol } from "./support/symbolPage.ts"
import * as Path from "node:path"

const screen = (name: string) => Path.join(test.info().project.outputDir, "screens", name)

test("phone width: nothing wider than the screen, no serious axe violation", async ({ page, consoleAllowed }) => {
  await withPrefs("zh")(page)
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  await page.goto("/market/CN")
  await expect(page.locator(".overview")).toHaveAttribute("data-ready", "true")
  consoleAllowed.push(OVERVIEW_MISSING)
  expect(await overflow()).toBeLessThanOrEqual(0)
  await page.screenshot({ path: screen("phone-overview-CN.png"), fullPage: true })
  for (const [symbol, search] of [["600519.SH", "?boll=1"], ["AAPL.US", "?interval=5m"]] as const) {
    await openSymbol(page, symbol, search)
    expect(await overflow()).toBeLessThanOrEqual(0)
    expect(await seriousViolations(page)).toEqual([])
    await page.screenshot({ path: screen(`phone-${symbol}.png`), fullPage: true })
  }
})

test("phone width: the login page and the watchlist fit and pass axe", async ({ page, app }) => {
  await withPrefs("zh")(page)
  await page.goto("/login")
  await expect(page.locator("#login-username")).toBeFocused()
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0)
  expect(await seriousViolations(page)).toEqual([])
  await page.screenshot({ path: screen("phone-login.png"), fullPage: true })
  const login = await page.request.post("/v1/auth/login", { data: { username: app.admin.username, password: app.admin.password } })
  const csrf: string = (await login.json()).data.principal.csrf_token
  expect((await page.request.put("/v1/watchlist", { data: { symbols: ["600519.SH", "AAPL.US", "000001.SZ"] }, headers: { "x-csrf-token": csrf } })).status()).toBe(200)
  await page.goto("/watchlist")
  await expect(page.locator("#watchlist-table tbody tr")).toHaveCount(3)
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0)
  expect(await seriousViolations(page)).toEqual([])
  await page.screenshot({ path: screen("phone-watchlist.png"), fullPage: true })
})
