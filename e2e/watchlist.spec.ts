import { seriousViolations } from "./support/axe.ts"
import { data, expect, test, withPrefs } from "./support/fixtures.ts"

const rows = (page: import("@playwright/test").Page) =>
  page.locator("#watchlist-table tbody tr").evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.symbol))

test.setTimeout(180_000)

test("watchlist: signing in to reach it, add, reorder by keyboard, remove, kept server-side, live quotes on one stream", async ({ page, app, consoleAllowed }) => {
  // The anonymous visit is sent to the login page (its 401 is logged), the unknown symbol answers 404.
  consoleAllowed.push(/status of 401 .*\/v1\/watchlist/, /status of 404 .*\/v1\/watchlist\/999999\.SH/)
  await withPrefs("en")(page)
  const streams: Array<string> = []
  page.on("request", (r) => {
    if (r.url().includes("/v1/stream/quotes")) streams.push(new URL(r.url()).searchParams.get("symbols")!)
  })
  await page.goto("/watchlist")
  await expect(page).toHaveURL(/\/login\?next=%2Fwatchlist&need=1$/)
  await expect(page.locator(".login .notice")).toHaveText("Log in to see this page.")
  await page.locator("#login-username").fill(app.admin.username)
  await page.locator("#login-password").fill(app.admin.password)
  await page.locator("#login-password").press("Enter")
  await expect(page).toHaveURL(/\/watchlist$/)
  await expect(page.locator(".watchlist")).toHaveAttribute("data-ready", "true")
  await expect(page.locator("#watchlist-empty")).toBeVisible()
  await expect(page.locator("#watchlist-count")).toHaveText("0 of 100 symbols")

  // Add two symbols from the keyboard.
  await page.locator("#watch-symbol").fill("600519.sh")
  await page.keyboard.press("Enter")
  await expect(page.locator("#watchlist-table tr[data-symbol='600519.SH']")).toBeVisible()
  await expect(page.locator("#watch-symbol")).toBeFocused()
  await expect(page.locator("#watch-symbol")).toHaveValue("")
  await page.keyboard.type("AAPL.US")
  await page.keyboard.press("Enter")
  await expect(page.locator("#watchlist-count")).toHaveText("2 of 100 symbols")
  expect(await rows(page)).toEqual(["600519.SH", "AAPL.US"])
  const names = await data(await page.request.get("/v1/watchlist"))
  await expect(page.locator("tr[data-symbol='AAPL.US'] .q-name")).toHaveText(names.items[1].name)

  // An unknown symbol: the server's sentence, the list unchanged.
  await page.locator("#watch-symbol").fill("999999.SH")
  await page.keyboard.press("Enter")
  await expect(page.locator("#watchlist-error")).toContainText("unknown symbol '999999.SH'")
  expect(await rows(page)).toEqual(["600519.SH", "AAPL.US"])

  // Move AAPL.US up with the keyboard; the server keeps the order.
  await page.locator("tr[data-symbol='AAPL.US'] [data-move='-1']").focus()
  await page.keyboard.press("Enter")
  await expect.poll(() => rows(page)).toEqual(["AAPL.US", "600519.SH"])
  expect((await data(await page.request.get("/v1/watchlist"))).items.map((i: any) => i.symbol)).toEqual(["AAPL.US", "600519.SH"])

  // Live: one stream for every watched symbol, and the A-share's row follows its quotes (CN session in progress).
  await expect(page.locator(".watchlist .live")).toHaveAttribute("data-live", "live")
  expect(streams.at(-1)).toBe("AAPL.US,600519.SH")
  const row = page.locator("tr[data-symbol='600519.SH']")
  await expect(row).toHaveAttribute("data-ts", /Z$/)
  const first = await row.getAttribute("data-ts")
  // The simulated quote moves once a minute of the session: within 75 s a new one reaches the row over the stream.
  await expect.poll(() => row.getAttribute("data-ts"), { timeout: 75_000 }).not.toBe(first)
  const shown = Number(await row.locator("[data-field=price]").getAttribute("data-value"))
  expect(shown).toBeGreaterThan(0)
  expect(await seriousViolations(page)).toEqual([])

  // Remove one; a reload shows what the server keeps.
  await page.locator("tr[data-symbol='600519.SH'] [data-remove]").click()
  await expect.poll(() => rows(page)).toEqual(["AAPL.US"])
  await page.reload()
  await expect(page.locator(".watchlist")).toHaveAttribute("data-ready", "true")
  expect(await rows(page)).toEqual(["AAPL.US"])
  await expect(page.locator(".topbar nav a[href='/watchlist']")).toHaveAttribute("aria-current", "page")

  // The star on a symbol's page puts it on the list and takes it off.
  await page.locator("tr[data-symbol='AAPL.US'] a").click()
  await expect(page).toHaveURL(/\/symbol\/AAPL\.US$/)
  const star = page.locator("#watch-toggle")
  await expect(star).toHaveAttribute("aria-pressed", "true")
  await star.click()
  await expect(star).toHaveAttribute("aria-pressed", "false")
  await expect(star).toBeFocused()
  expect((await data(await page.request.get("/v1/watchlist"))).items).toEqual([])
  await page.keyboard.press("Enter")
  await expect(star).toHaveAttribute("aria-pressed", "true")
  await expect(star).toHaveText(/On watchlist/)
  expect((await data(await page.request.get("/v1/watchlist"))).items.map((i: any) => i.symbol)).toEqual(["AAPL.US"])
})
