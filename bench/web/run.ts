/**
 * Page-speed benchmark of the web app (a benchmark, not a test): run with
 * `flock /tmp/marketgate-cpu.lock npm run bench:web`.
 *
 * 1. Starts marketgate as `npm start` does (embedded default: PGlite in a
 *    fresh DATA_DIR, memory cache, simulated provider) on a free port.
 * 2. Opens the symbol page once so the server's cache is warm.
 * 3. "Usable": navigation start → the page's `marketgate:chart-ready` mark
 *    (quote header drawn, bars and six indicator series fetched and charted),
 *    over BENCH_RUNS loads (default 10) each in a fresh browser context (empty
 *    browser cache), and again with the browser cache warm (304s).
 * 4. Page weight: bytes transferred (resource timing, compressed) and decoded.
 * 5. Panning: a ~5,000-bar daily chart dragged with the mouse for ~2 s; the
 *    intervals between animation frames during the drag.
 * Results go to stdout and bench/results/web-<time>.json.
 */
import { chromium, type Page } from "@playwright/test"
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import { mkdtemp, rm } from "node:fs/promises"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const repoRoot = fileURLToPath(new URL("../../", import.meta.url))
const RUNS = Number(process.env.BENCH_RUNS ?? 10)
const SYMBOL = "600519.SH"
const executablePath = process.env.PLAYWRIGHT_CHROMIUM_PATH ?? (Fs.existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined)

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })

const quantile = (xs: ReadonlyArray<number>, q: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}
const round = (x: number) => Math.round(x * 10) / 10

const measureLoad = async (page: Page, url: string) => {
  await page.goto(url)
  await page.waitForFunction(() => performance.getEntriesByName("marketgate:chart-ready").length > 0, undefined, { timeout: 30_000 })
  return page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming
    const resources = performance.getEntriesByType("resource") as Array<PerformanceResourceTiming>
    const paint = performance.getEntriesByName("first-contentful-paint")[0]
    const all = [nav, ...resources]
    return {
      usableMs: performance.getEntriesByName("marketgate:chart-ready")[0]!.startTime,
      fcpMs: paint?.startTime ?? NaN,
      domContentLoadedMs: nav.domContentLoadedEventEnd,
      transferred: all.reduce((n, r) => n + r.transferSize, 0),
      decoded: all.reduce((n, r) => n + r.decodedBodySize, 0),
      requests: all.length,
      scripts: resources.filter((r) => r.initiatorType === "script" || r.name.endsWith(".ts") || r.name.endsWith(".mjs")).reduce((n, r) => n + r.transferSize, 0)
    }
  })
}

const summary = (runs: ReadonlyArray<Awaited<ReturnType<typeof measureLoad>>>) => ({
  usable_ms: { p50: round(quantile(runs.map((r) => r.usableMs), 0.5)), p90: round(quantile(runs.map((r) => r.usableMs), 0.9)), max: round(Math.max(...runs.map((r) => r.usableMs))) },
  fcp_ms_p50: round(quantile(runs.map((r) => r.fcpMs), 0.5)),
  transferred_bytes: runs[runs.length - 1]!.transferred,
  decoded_bytes: runs[runs.length - 1]!.decoded,
  script_transferred_bytes: runs[runs.length - 1]!.scripts,
  requests: runs[runs.length - 1]!.requests
})

const main = async () => {
  const port = await freePort()
  const dataDir = await mkdtemp(join(tmpdir(), "mg-bench-web-"))
  const child: ChildProcess = spawn(process.execPath, [join(repoRoot, "packages/server/src/main.ts")], {
    // Anonymous reads are limited per address (60 a minute); every page load here comes from one address.
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "warn", RATE_LIMIT_ANONYMOUS: "100000000" },
    stdio: ["ignore", "inherit", "inherit"]
  })
  const base = `http://127.0.0.1:${port}`
  const browser = await chromium.launch({
    ...(executablePath === undefined || executablePath === "" ? {} : { executablePath }),
    args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
  })
  try {
    for (let i = 0; ; i++) {
      if (await fetch(`${base}/ready`).then((r) => r.ok, () => false)) break
      if (i > 600) throw new Error("marketgate not ready in 60 s")
      await new Promise((r) => setTimeout(r, 100))
    }
    const url = `${base}/symbol/${SYMBOL}`
    const warmup = await browser.newPage()
    await measureLoad(warmup, url)
    await warmup.close()

    const cold: Array<Awaited<ReturnType<typeof measureLoad>>> = []
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 720 } })
      cold.push(await measureLoad(await context.newPage(), url))
      await context.close()
    }
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } })
    const page = await context.newPage()
    await measureLoad(page, url)
    const warm: Array<Awaited<ReturnType<typeof measureLoad>>> = []
    for (let i = 0; i < RUNS; i++) warm.push(await measureLoad(page, url))

    // ~5,000 daily bars: the longest range under the API's 5,000-bar limit.
    const to = (await (await fetch(`${base}/v1/quotes?symbols=${SYMBOL}`)).json()).data.quotes[0].ts.slice(0, 10) as string
    let from = ""
    let bars = 0
    for (let days = 7300; days > 6000; days -= 30) {
      const candidate = new Date(Date.parse(`${to}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10)
      const r = await (await fetch(`${base}/v1/bars/${SYMBOL}?interval=1d&from=${candidate}&to=${to}`)).json()
      if (r.code === 0) {
        from = candidate
        bars = r.data.bars.length
        break
      }
    }
    await measureLoad(page, `${url}?interval=1d&from=${from}&to=${to}`)
    const candles = Number(await page.locator("#chart").getAttribute("data-candles"))
    const box = (await page.locator("#chart").boundingBox())!
    await page.evaluate(() => {
      const w = window as unknown as { frames_: Array<number>; recording: boolean }
      w.frames_ = []
      w.recording = true
      const tick = (t: number) => {
        w.frames_.push(t)
        if (w.recording) requestAnimationFrame(tick)
      }
      requestAnimationFrame(tick)
    })
    const y = box.y + box.height * 0.3
    await page.mouse.move(box.x + box.width * 0.8, y)
    await page.mouse.down()
    for (let i = 0; i < 120; i++) {
      await page.mouse.move(box.x + box.width * 0.8 - i * 5 * (i < 60 ? 1 : -1) - (i >= 60 ? 600 : 0), y)
    }
    await page.mouse.up()
    const frames = await page.evaluate(() => {
      const w = window as unknown as { frames_: Array<number>; recording: boolean }
      w.recording = false
      return w.frames_
    })
    const intervals = frames.slice(1).map((t, i) => t - frames[i]!)
    const pan = {
      bars: candles,
      api_bars: bars,
      range: `${from}..${to}`,
      frames: intervals.length,
      frame_ms: { p50: round(quantile(intervals, 0.5)), p95: round(quantile(intervals, 0.95)), max: round(Math.max(...intervals)) },
      over_16_7ms: intervals.filter((x) => x > 16.7).length,
      over_33ms: intervals.filter((x) => x > 33.4).length
    }
    const result = {
      when: new Date().toISOString(),
      chromium: browser.version(),
      runs: RUNS,
      symbol_page_cold_browser_warm_server: summary(cold),
      symbol_page_warm_browser_warm_server: summary(warm),
      pan_5000_bars: pan
    }
    console.log(JSON.stringify(result, null, 2))
    Fs.mkdirSync(join(repoRoot, "bench/results"), { recursive: true })
    Fs.writeFileSync(join(repoRoot, `bench/results/web-${result.when.replace(/[:.]/g, "-")}.json`), JSON.stringify(result, null, 2))
  } finally {
    await browser.close()
    child.kill("SIGTERM")
    await new Promise((r) => child.once("close", r))
    await rm(dataDir, { recursive: true, force: true })
  }
}

await main()
