import { signIn } from "./support/auth.ts"
import { seriousViolations } from "./support/axe.ts"
import { data, expect, test, withPrefs } from "./support/fixtures.ts"
import * as Path from "node:path"

const screen = (name: string) => Path.join(test.info().project.outputDir, "screens", name)

const logInAs = async (page: import("@playwright/test").Page, username: string, password: string) => {
  await page.locator("#login-username").fill(username)
  await page.locator("#login-password").fill(password)
  await page.locator("#login-password").press("Enter")
}

test("admin pages: sources health as the API reports it; a backfill started from the page, followed to its end", async ({ page, app }) => {
  await withPrefs("en")(page)
  await page.goto("/admin/jobs")
  await expect(page).toHaveURL(/\/login\?next=%2Fadmin%2Fjobs&need=1$/)
  await logInAs(page, app.admin.username, app.admin.password)
  await expect(page).toHaveURL(/\/admin\/jobs$/)

  // Sources health, from the top bar's Admin link.
  await page.locator(".topbar nav a[href='/admin/sources']").click()
  await expect(page).toHaveURL(/\/admin\/sources$/)
  await expect(page.locator(".admin")).toHaveAttribute("data-ready", "true")
  const api = (await data(await page.request.get("/v1/sources"))).sources
  const rows = page.locator("#sources-table tbody tr")
  await expect(rows).toHaveCount(api.length)
  const row = page.locator(`#sources-table tr[data-source='${api[0].name}']`)
  await expect(row).toHaveAttribute("data-breaker", api[0].breaker.state)
  await expect(row.locator("[data-field=breaker]")).toHaveText("closed")
  await expect(row.locator("[data-field=priority]")).toHaveText(String(api[0].priority))
  await expect(row.locator("[data-field=tier]")).toHaveText(api[0].tier)
  await expect(row.locator("[data-field=throttled]")).toHaveAttribute("data-value", String(api[0].rate_limit.throttled))
  await expect(row.locator("[data-field=per_second]")).toContainText(" / ")
  expect(await seriousViolations(page)).toEqual([])
  await page.screenshot({ path: screen("admin-sources.png"), fullPage: true })

  // Jobs: start a backfill of two symbols for April 2025 and watch it finish.
  await page.locator(".admin-nav a[href='/admin/jobs']").click()
  await expect(page.locator("#backfill-symbols")).toBeVisible()
  await page.locator("#backfill-symbols").fill("600519.SH, aapl.us")
  await page.locator("#backfill-from").fill("2025-04-01")
  await page.locator("#backfill-to").fill("2025-04-30")
  const accepted = page.waitForResponse((r) => r.url().endsWith("/v1/admin/backfill"))
  await page.locator(".backfill-form button[type=submit]").click()
  expect((await accepted).status()).toBe(202)
  const runId = (await (await accepted).json()).data.run_id as number
  const status = page.locator("#backfill-status")
  await expect(status).toHaveAttribute("data-status", "succeeded", { timeout: 60_000 })
  await expect(status).toHaveText(`Run #${runId}: succeeded, 2 of 2 symbols done`)
  const run = page.locator(`#runs-table tr[data-run='${runId}']`)
  await expect(run).toHaveAttribute("data-status", "succeeded")
  await expect(run.locator("[data-field=progress]")).toHaveAttribute("data-done", "2")
  const stored = (await data(await page.request.get("/v1/admin/jobs?kind=backfill"))).runs.find((r: any) => r.id === runId)
  expect(stored).toMatchObject({ status: "succeeded", trigger: "api", counts: { symbols: 2, done: 2, failed: 0 } })
  expect(await seriousViolations(page)).toEqual([])
  await page.screenshot({ path: screen("admin-jobs.png"), fullPage: true })
})

test("admin pages are for admins only: a viewer is told so and is not offered the link", async ({ page, app }) => {
  await withPrefs("zh")(page)
  const admin = await signIn(app.url, app.admin.username, app.admin.password)
  expect((await admin.request.post("/v1/admin/users", { data: { username: "vic", role: "viewer", password: "vic's long passphrase" } })).status()).toBe(201)
  await admin.request.dispose()
  await page.goto("/login?next=%2Fadmin%2Fsources")
  await logInAs(page, "vic", "vic's long passphrase")
  await expect(page).toHaveURL(/\/admin\/sources$/)
  await expect(page.locator("[data-admin=refused]")).toHaveText("此页面仅供管理员使用。")
  await expect(page.locator("#signed-in")).toHaveAttribute("data-role", "viewer")
  await expect(page.locator(".topbar nav a[href='/admin/sources']")).toHaveCount(0)
  await expect(page.locator("#sources-table")).toHaveCount(0)
})
