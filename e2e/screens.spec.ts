import { expect, OVERVIEW_MISSING, test, withPrefs } from "./support/fixtures.ts"
import { openSymbol } from "./support/symbolPage.ts"
import * as Path from "node:path"

const screen = (name: string) => Path.join(test.info().project.outputDir, "screens", name)

/** Screenshots at 1280×720 for a person to look at (test-results/screens/), in both languages. */
test("desktop screenshots: overview, A-share and US symbol pages", async ({ page, consoleAllowed }) => {
  await withPrefs("zh")(page)
  await page.goto("/market/CN")
  await expect(page.locator(".overview")).toHaveAttribute("data-ready", "true")
  consoleAllowed.push(OVERVIEW_MISSING)
  await page.screenshot({ path: screen("desktop-overview-CN.png") })
  await openSymbol(page, "600519.SH", "?boll=1")
  await page.screenshot({ path: screen("desktop-600519.SH-zh.png") })
  await openSymbol(page, "AAPL.US", "?interval=1w&range=5Y")
  await page.locator("#pref-lang").selectOption("en")
  await expect(page.locator(".symbol-page")).toHaveAttribute("data-ready", "true")
  await expect(page.locator("html")).toHaveAttribute("lang", "en")
  await page.screenshot({ path: screen("desktop-AAPL.US-en.png") })
  await page.emulateMedia({ media: "print" })
  await page.screenshot({ path: screen("print-AAPL.US.png"), fullPage: true })
  await expect(page.locator(".toolbar-slot")).toBeHidden()
})
