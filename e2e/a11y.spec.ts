import { seriousViolations } from "./support/axe.ts"
import { expect, OVERVIEW_MISSING, test, withPrefs } from "./support/fixtures.ts"
import { nextBars, openSymbol } from "./support/symbolPage.ts"

test("no serious or critical axe violation on the overview and symbol pages, in both languages", async ({ page, consoleAllowed }) => {
  await withPrefs("zh")(page)
  await page.goto("/market/CN")
  await expect(page.locator(".overview")).toHaveAttribute("data-ready", "true")
  expect(await seriousViolations(page)).toEqual([])
  consoleAllowed.push(OVERVIEW_MISSING)
  await openSymbol(page, "600519.SH", "?boll=1")
  expect(await seriousViolations(page)).toEqual([])
  await page.locator("#pref-lang").selectOption("en")
  await expect(page.locator(".symbol-page")).toHaveAttribute("data-ready", "true")
  await expect(page.locator("html")).toHaveAttribute("lang", "en")
  expect(await seriousViolations(page)).toEqual([])
})

test("keyboard only: skip link, search with suggestions, interval switch, crosshair", async ({ page }) => {
  await withPrefs("en")(page)
  await openSymbol(page, "AAPL.US")
  await page.keyboard.press("Tab")
  await expect(page.locator(".skip")).toBeFocused()
  await page.keyboard.press("Enter")
  await expect(page.locator("#main")).toBeFocused()

  await page.locator("#search-input").focus()
  await page.keyboard.type("600519")
  const option = page.locator("#search-list [role=option][data-symbol='600519.SH']")
  await expect(option).toBeVisible()
  await expect(page.locator("#search-input")).toHaveAttribute("aria-expanded", "true")
  await expect(page.locator("#search-input")).toHaveAttribute("aria-activedescendant", "search-opt-0")
  const bars = nextBars(page)
  await page.keyboard.press("Enter")
  await bars
  await expect(page).toHaveURL(/\/symbol\/600519\.SH/)
  await expect(page.locator(".symbol-page")).toHaveAttribute("data-ready", "true")
  await expect(page.locator("#quote-title")).toContainText("600519.SH")

  // Tab through the toolbar to the weekly button and press it.
  const weekly = page.locator("[data-group=interval] button[data-value='1w']")
  for (let i = 0; i < 40 && !(await weekly.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press("Tab")
  await expect(weekly).toBeFocused()
  const weeklyBars = nextBars(page)
  await page.keyboard.press("Enter")
  expect(new URL((await weeklyBars).url()).searchParams.get("interval")).toBe("1w")
  await expect(weekly).toHaveAttribute("aria-pressed", "true")

  await page.locator("#chart").focus()
  await page.keyboard.press("Home")
  await expect(page.locator(".legend")).toHaveAttribute("data-index", "0")
})
