import { expect, test, withPrefs } from "./support/fixtures.ts"
import { apiBars, barsQuery, chartPixels, GREEN, nextBars, openSymbol, RED } from "./support/symbolPage.ts"

test.describe("the K-line chart", () => {
  test("draws the API's bars: canvas not blank, one candle per bar", async ({ page, request }) => {
    await withPrefs("zh")(page)
    const response = await openSymbol(page, "600519.SH")
    const q = barsQuery(response)
    expect(q.get("interval")).toBe("1d")
    const api = await apiBars(request, "600519.SH", q)
    expect(api.bars.length).toBeGreaterThan(200)
    const chart = page.locator("#chart")
    await expect(chart).toHaveAttribute("data-candles", String(api.bars.length))
    await expect(chart).toHaveAttribute("data-first", api.bars[0]!.date)
    await expect(chart).toHaveAttribute("data-last", api.bars.at(-1)!.date)
    // China's convention on an A-share: rises red, falls green, both drawn.
    const pixels = await chartPixels(page, RED, GREEN)
    expect(pixels.ups).toBeGreaterThan(500)
    expect(pixels.downs).toBeGreaterThan(500)
    // The library's attribution stays on the chart.
    await expect(page.locator("#chart a[href*='tradingview']")).toHaveCount(1)
  })

  test("interval and adjustment switches refetch and redraw", async ({ page, request }) => {
    await withPrefs("en")(page)
    await openSymbol(page, "600519.SH", "?interval=1d&range=3Y")
    const before = await chartPixels(page, RED, GREEN)

    const weekly = nextBars(page)
    await page.locator("[data-group=interval] button[data-value='1w']").click()
    const wq = barsQuery(await weekly)
    expect(wq.get("interval")).toBe("1w")
    const wApi = await apiBars(request, "600519.SH", wq)
    await expect(page.locator("#chart")).toHaveAttribute("data-candles", String(wApi.bars.length))
    await expect(page.locator(".symbol-page")).toHaveAttribute("data-ready", "true")
    const afterWeekly = await chartPixels(page, RED, GREEN)
    expect(afterWeekly.hash).not.toBe(before.hash)
    expect(afterWeekly.ups + afterWeekly.downs).toBeGreaterThan(200)

    const adjusted = nextBars(page)
    await page.locator("#adjust").selectOption("hfq")
    const aq = barsQuery(await adjusted)
    expect(aq.get("adjust")).toBe("hfq")
    expect(aq.get("interval")).toBe("1w")
    const aApi = await apiBars(request, "600519.SH", aq)
    await expect(page.locator("#chart")).toHaveAttribute("data-candles", String(aApi.bars.length))
    await expect(page.locator(".symbol-page")).toHaveAttribute("data-ready", "true")
    // The legend shows the last bar as the API has it after the switch.
    await expect(page.locator(".legend [data-key=close]")).toHaveAttribute("data-value", String(aApi.bars.at(-1)!.close))
    await expect(page).toHaveURL(/interval=1w&adjust=hfq/)

    const intraday = nextBars(page)
    await page.locator("[data-group=interval] button[data-value='5m']").click()
    const iq = barsQuery(await intraday)
    expect(iq.get("adjust")).toBe("none")
    const iApi = await apiBars(request, "600519.SH", iq)
    expect(iApi.bars.length).toBeGreaterThan(0)
    await expect(page.locator("#chart")).toHaveAttribute("data-candles", String(iApi.bars.length))
    await expect(page.locator("#adjust")).toBeDisabled()
    const afterIntraday = await chartPixels(page, RED, GREEN)
    expect(afterIntraday.hash).not.toBe(afterWeekly.hash)
  })

  test("a US listing uses the US colours unless the reader switches", async ({ page }) => {
    await withPrefs("en")(page)
    await openSymbol(page, "AAPL.US")
    const us = await chartPixels(page, GREEN, RED)
    expect(us.ups).toBeGreaterThan(500)
    await expect(page.locator(".symbol-page")).toHaveClass(/green-up/)
    const redraw = nextBars(page)
    await page.locator("#pref-colours").selectOption("red-up")
    await redraw
    await expect(page.locator(".symbol-page")).toHaveAttribute("data-ready", "true")
    await expect(page.locator(".symbol-page")).toHaveClass(/red-up/)
    const swapped = await chartPixels(page, RED, GREEN)
    expect(swapped.ups).toBeGreaterThan(500)
    expect(swapped.downs).toBeGreaterThan(500)
  })
})
