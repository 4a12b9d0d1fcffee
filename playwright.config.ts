import { defineConfig } from "@playwright/test"
import * as Fs from "node:fs"

/**
 * Browser tests (e2e/). Debian's Chromium by default; set PLAYWRIGHT_CHROMIUM_PATH
 * to another build, or to an empty string to use Playwright's own browser.
 * Each test starts its own marketgate (e2e/support/fixtures.ts).
 */
const fromEnv = process.env.PLAYWRIGHT_CHROMIUM_PATH
const executablePath = fromEnv !== undefined ? (fromEnv === "" ? undefined : fromEnv) : Fs.existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  fullyParallel: true,
  forbidOnly: true,
  retries: 0,
  workers: 2,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [["list"]],
  use: {
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      ...(executablePath === undefined ? {} : { executablePath }),
      args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
    }
  },
  projects: [
    { name: "desktop", use: { viewport: { width: 1280, height: 720 } }, testIgnore: /phone\.spec\.ts/ },
    { name: "phone", use: { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true }, testMatch: /phone\.spec\.ts/ }
  ]
})
