import { data, expect, test, withPrefs } from "./support/fixtures.ts"
import { openSymbol } from "./support/symbolPage.ts"

test("lineage is an analyst read: anonymous readers get a sentence, not a 401; a signed-in admin sees the API's lineage", async ({ page, app }) => {
  await withPrefs("en")(page)
  const requested: Array<string> = []
  page.on("request", (r) => {
    if (r.url().includes("/v1/lineage/")) requested.push(r.url())
  })
  await openSymbol(page, "600519.SH")
  await expect(page.locator("[data-lineage=analyst-only]")).toContainText("shown to analysts")
  expect(requested, "no lineage request the reader may not make").toEqual([])

  // page.request shares the browser context's cookies: this signs the page in.
  const login = await page.request.post("/v1/auth/login", { data: { username: app.admin.username, password: app.admin.password } })
  expect((await data(login)).status).toBe("ok")
  await openSymbol(page, "600519.SH")
  const list = page.locator(".lineage-list")
  await expect(list).toBeVisible()
  const date = await list.getAttribute("data-date")
  const api = await data(await page.request.get(`/v1/lineage/600519.SH?date=${date}`))
  await expect(list.locator("[data-field=source]")).toHaveText(api.source)
  expect(api.source).toBe("simulated")
})
