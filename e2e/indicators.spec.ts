import type { APIRequestContext } from "@playwright/test"
import { data, expect, test, withPrefs } from "./support/fixtures.ts"
import { barsQuery, openSymbol } from "./support/symbolPage.ts"

const SYMBOL = "600519.SH"

const indicatorAt = async (request: APIRequestContext, q: URLSearchParams, name: string, period?: number) => {
  const params = new URLSearchParams({ name, interval: q.get("interval")!, from: q.get("from")!, to: q.get("to")!, adjust: q.get("adjust")! })
  if (period !== undefined) params.set("period", String(period))
  const series = await data<{ points: Array<{ date: string; values: Record<string, number | null> }> }>(
    await request.get(`/v1/indicators/${SYMBOL}?${params}`)
  )
  return new Map(series.points.map((p) => [p.date, p.values]))
}

const legendValue = async (page: import("@playwright/test").Page, key: string) => {
  const raw = await page.locator(`.legend [data-key=${key}]`).getAttribute("data-value")
  return raw === "" || raw === null ? null : Number(raw)
}

test("the legend shows the API's indicator values at the crosshair (keyboard and mouse)", async ({ page, request }) => {
  await withPrefs("en")(page)
  const q = barsQuery(await openSymbol(page, SYMBOL, "?interval=1d&range=6M&boll=1"))
  const [ma5, ma10, ma20, macd, rsi, boll] = await Promise.all([
    indicatorAt(request, q, "sma", 5),
    indicatorAt(request, q, "sma", 10),
    indicatorAt(request, q, "sma", 20),
    indicatorAt(request, q, "macd"),
    indicatorAt(request, q, "rsi"),
    indicatorAt(request, q, "boll")
  ])
  const bars = (await data<{ bars: Array<{ date: string; close: number }> }>(await request.get(`/v1/bars/${SYMBOL}?${q}`))).bars

  const check = async () => {
    const date = await page.locator(".legend").getAttribute("data-date")
    expect(date).not.toBeNull()
    const bar = bars.find((b) => b.date === date)!
    expect(await legendValue(page, "close")).toBe(bar.close)
    expect(await legendValue(page, "ma5")).toBe(ma5.get(date!)!.value)
    expect(await legendValue(page, "ma10")).toBe(ma10.get(date!)!.value)
    expect(await legendValue(page, "ma20")).toBe(ma20.get(date!)!.value)
    expect(await legendValue(page, "macd")).toBe(macd.get(date!)!.macd)
    expect(await legendValue(page, "macd_signal")).toBe(macd.get(date!)!.signal)
    expect(await legendValue(page, "macd_histogram")).toBe(macd.get(date!)!.histogram)
    expect(await legendValue(page, "rsi")).toBe(rsi.get(date!)!.value)
    expect(await legendValue(page, "boll_upper")).toBe(boll.get(date!)!.upper)
    expect(await legendValue(page, "boll_lower")).toBe(boll.get(date!)!.lower)
    return date
  }

  // Keyboard: the chart takes focus; Home, arrows and End move the crosshair bar by bar.
  const chart = page.locator("#chart")
  await chart.focus()
  await page.keyboard.press("Home")
  await expect(page.locator(".legend")).toHaveAttribute("data-index", "0")
  expect(await check()).toBe(bars[0]!.date)
  for (let i = 0; i < 30; i++) await page.keyboard.press("ArrowRight")
  await expect(page.locator(".legend")).toHaveAttribute("data-index", "30")
  expect(await check()).toBe(bars[30]!.date)
  await page.keyboard.press("End")
  expect(await check()).toBe(bars.at(-1)!.date)

  // Mouse: hover over the middle of the price pane.
  const box = (await chart.boundingBox())!
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.25)
  await expect(page.locator(".legend")).not.toHaveAttribute("data-index", String(bars.length - 1))
  const hovered = await check()
  expect(bars.findIndex((b) => b.date === hovered)).toBeGreaterThan(bars.length * 0.3)
})
