import type { APIRequestContext, Page, Response } from "@playwright/test"
import { data, expect } from "./fixtures.ts"

export const RED: readonly [number, number, number] = [0xc6, 0x28, 0x28]
export const GREEN: readonly [number, number, number] = [0x13, 0x73, 0x33]

/** Waits for the page's next answer from /v1/bars and returns its query (interval, from, to, adjust). */
export const nextBars = (page: Page) =>
  page.waitForResponse((r) => r.url().includes("/v1/bars/") && r.request().method() === "GET")

export const barsQuery = (response: Response) => new URL(response.url()).searchParams

/** Opens a symbol page and waits until its chart is drawn; returns the bars request it made. */
export const openSymbol = async (page: Page, symbol: string, search = "") => {
  const bars = nextBars(page)
  await page.goto(`/symbol/${encodeURIComponent(symbol)}${search}`)
  const response = await bars
  await expect(page.locator(".symbol-page")).toHaveAttribute("data-ready", "true")
  return response
}

/** The API's answer for the same bars the page asked for. */
export const apiBars = async (request: APIRequestContext, symbol: string, q: URLSearchParams) =>
  data<{ bars: Array<Record<string, any>>; from: string; to: string }>(await request.get(`/v1/bars/${encodeURIComponent(symbol)}?${q}`))

/**
 * Counts the chart's canvas pixels of two colours (rises and falls) and a
 * hash of everything drawn: a blank chart has neither colour, and a redraw
 * changes the hash.
 */
export const chartPixels = (page: Page, up: readonly [number, number, number], down: readonly [number, number, number]) =>
  page.evaluate(([up, down]) => {
    let ups = 0
    let downs = 0
    let hash = 0
    const near = (d: Uint8ClampedArray, i: number, c: readonly [number, number, number]) =>
      Math.abs(d[i]! - c[0]) <= 2 && Math.abs(d[i + 1]! - c[1]) <= 2 && Math.abs(d[i + 2]! - c[2]) <= 2 && d[i + 3]! > 200
    for (const canvas of Array.from(document.querySelectorAll<HTMLCanvasElement>("#chart canvas"))) {
      if (canvas.width === 0 || canvas.height === 0) continue
      // Copied to a canvas of the test's own, so reading it back leaves the chart's canvases alone.
      const copy = document.createElement("canvas")
      copy.width = canvas.width
      copy.height = canvas.height
      const ctx = copy.getContext("2d", { willReadFrequently: true })!
      ctx.drawImage(canvas, 0, 0)
      const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data
      for (let i = 0; i < pixels.length; i += 4) {
        if (near(pixels, i, up)) ups++
        else if (near(pixels, i, down)) downs++
        hash = (Math.imul(hash, 31) + pixels[i]! + 3 * pixels[i + 1]! + 7 * pixels[i + 2]!) | 0
      }
    }
    return { ups, downs, hash }
  }, [up, down] as const)
