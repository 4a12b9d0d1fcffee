import { expect, test as base } from "@playwright/test"
import * as ChildProcess from "node:child_process"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"

const launcher = Path.join(import.meta.dirname, "server.ts")

/** A CN session in progress (10:14 Beijing, Wednesday 2025-06-04); US closed. */
export const CN_OPEN = "2025-06-04T02:14:30Z"
/** After the CN close, before the US open: nothing moves. */
export const ALL_CLOSED = "2025-06-04T08:30:00Z"

export interface App {
  readonly url: string
  readonly port: number
  readonly pid: number
  /** Every line the service printed. */
  readonly output: () => string
  /** The first admin, made at start-up from ADMIN_USERNAME / ADMIN_PASSWORD. */
  readonly admin: { readonly username: string; readonly password: string }
  /** What the service's clock reads now (the simulated world's time), e.g. for TOTP codes. */
  readonly worldNow: () => number
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as Net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

const waitReady = async (url: string, child: ChildProcess.ChildProcess, output: () => string) => {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`marketgate exited (${child.exitCode}) before it was ready:\n${output()}`)
    try {
      const r = await fetch(`${url}/ready`)
      if (r.status === 200) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`marketgate was not ready within 60 s:\n${output()}`)
}

export interface Options {
  /** The instant the simulated world starts at (E2E_WORLD_TIME). */
  readonly worldTime: string
  /** More settings for this test's marketgate. */
  readonly serverEnv: Record<string, string>
}

/**
 * `app`: a marketgate of this test's own, on a free loopback port, with a
 * fresh DATA_DIR (embedded PostgreSQL, memory cache, simulated provider)
 * and a first admin of its own (`app.admin`), stopped with SIGTERM afterwards. `page` fails the test on any console
 * error or warning and any uncaught page error.
 */
export const test = base.extend<Options & { app: App; consoleProblems: Array<string>; consoleAllowed: Array<RegExp> }>({
  worldTime: [CN_OPEN, { option: true }],
  serverEnv: [{}, { option: true }],
  app: async ({ worldTime, serverEnv }, use, testInfo) => {
    const port = await freePort()
    const dataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "mg-e2e-"))
    const lines: Array<string> = []
    const admin = { username: "admin", password: `e2e-${Crypto.randomBytes(12).toString("base64url")}` }
    const startedAt = Date.now()
    const child = ChildProcess.spawn(process.execPath, [launcher], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: "127.0.0.1",
        DATA_DIR: dataDir,
        LOG_LEVEL: "warn",
        E2E_WORLD_TIME: worldTime,
        STREAM_POLL_INTERVAL: "250 millis",
        ADMIN_USERNAME: admin.username,
        ADMIN_PASSWORD: admin.password,
        ...serverEnv
      },
      stdio: ["ignore", "pipe", "pipe"]
    })
    child.stdout!.on("data", (b: Buffer) => lines.push(b.toString()))
    child.stderr!.on("data", (b: Buffer) => lines.push(b.toString()))
    const output = () => lines.join("")
    const url = `http://127.0.0.1:${port}`
    try {
      await waitReady(url, child, output)
      const worldNow = () => Date.parse(worldTime) + (Date.now() - startedAt)
      await use({ url, port, pid: child.pid!, output, admin, worldNow })
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("close", r))
        child.kill("SIGTERM")
        await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))])
        if (child.exitCode === null) child.kill("SIGKILL")
      }
      if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach("marketgate.log", { body: output(), contentType: "text/plain" })
      Fs.rmSync(dataDir, { recursive: true, force: true })
    }
  },
  baseURL: async ({ app }, use) => use(app.url),
  consoleProblems: async ({}, use) => use([]),
  consoleAllowed: async ({}, use) => use([]),
  page: async ({ page, consoleProblems, consoleAllowed }, use) => {
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") consoleProblems.push(`${m.type()}: ${m.text()} (${m.location().url})`)
    })
    page.on("pageerror", (e) => consoleProblems.push(`pageerror: ${e.message}`))
    await use(page)
    expect(consoleProblems.filter((p) => !consoleAllowed.some((r) => r.test(p))), "console errors or warnings").toEqual([])
  }
})

export { expect }

/** Opens the app in a language (and colour convention) of its own. */
export const withPrefs = (lang: "zh" | "en", colours: "auto" | "red-up" | "green-up" = "auto") =>
  (page: import("@playwright/test").Page) =>
    page.addInitScript((p) => localStorage.setItem("marketgate.prefs", JSON.stringify(p)), { lang, colours })

/** The /v1 envelope's data, failing on an error envelope. */
export const data = async <A = any>(response: import("@playwright/test").APIResponse): Promise<A> => {
  const body = await response.json()
  expect(body.code, JSON.stringify(body).slice(0, 300)).toBe(0)
  return body.data as A
}

/**
 * The browser logs the 404 of GET /v1/market/overview while this build lacks
 * issue 14's endpoint; that line, and only it, is allowed where tests open the overview.
 */
export const OVERVIEW_MISSING = /status of 404 .*\/v1\/market\/overview/
