import { request as playwrightRequest } from "@playwright/test"
import { signIn, totp } from "./support/auth.ts"
import { seriousViolations } from "./support/axe.ts"
import { data, expect, test, withPrefs } from "./support/fixtures.ts"

/** Chromium logs every 4xx answer of a fetch; these tests provoke exactly these. */
const refusedLogin = /status of 401 .*\/v1\/auth\/login/

test("good password: back to the page the reader was on, the top bar names them; logout", async ({ page, app }) => {
  await withPrefs("en")(page)
  await page.goto("/market/US")
  await expect(page.locator("#account")).toHaveAttribute("data-state", "anonymous")
  await page.locator("#login-link").click()
  await expect(page).toHaveURL(/\/login\?next=%2Fmarket%2FUS$/)
  await expect(page.locator("#login-username")).toBeFocused()
  await page.keyboard.type(app.admin.username)
  await page.keyboard.press("Tab")
  await page.keyboard.type(app.admin.password)
  await page.keyboard.press("Enter")
  await expect(page).toHaveURL(/\/market\/US$/)
  await expect(page.locator("#signed-in")).toHaveText(`Signed in as ${app.admin.username} (admin)`)
  await expect(page.locator(".topbar nav a[href='/admin/sources']")).toBeVisible()
  const cookies = await page.context().cookies()
  expect(cookies.find((c) => c.name === "mg_session")?.httpOnly).toBe(true)

  await page.locator("#logout").click()
  await expect(page).toHaveURL(/\/login\?next=%2Fmarket%2FUS&out=1$/)
  await expect(page.locator(".login .notice")).toHaveText("You have logged out.")
  expect((await page.context().cookies()).some((c) => c.name === "mg_session")).toBe(false)
  expect(await data(await page.request.get("/v1/auth/me"))).toMatchObject({ kind: "anonymous" })
})

test("wrong password: a sentence in the reader's language, no session, the form kept", async ({ page, app, consoleAllowed }) => {
  consoleAllowed.push(refusedLogin)
  await withPrefs("zh")(page)
  await page.goto("/login")
  await expect(page.locator("h1")).toHaveText("登录 marketgate")
  await page.locator("#login-username").fill(app.admin.username)
  await page.locator("#login-password").fill("not the password at all")
  await page.locator("button[type=submit]").click()
  await expect(page.locator("#login-error")).toHaveText("用户名或密码错误。")
  await expect(page.locator(".login")).toHaveAttribute("data-step", "password")
  expect((await page.context().cookies()).some((c) => c.name === "mg_session")).toBe(false)
  await expect(page).toHaveURL(/\/login$/)
  expect(await seriousViolations(page)).toEqual([])
})

test("two-step verification: the code step, a wrong code refused, the right one (RFC 6238) lets the person in", async ({ page, app, consoleAllowed }) => {
  consoleAllowed.push(refusedLogin)
  await withPrefs("en")(page)
  const admin = await signIn(app.url, app.admin.username, app.admin.password)
  const password = "mia's long passphrase"
  expect((await admin.request.post("/v1/admin/users", { data: { username: "mia", role: "viewer", password } })).status()).toBe(201)
  const mia = await signIn(app.url, "mia", password)
  const enrolment = await data(await mia.request.post("/v1/auth/mfa/enrol"))
  // Confirmed with the previous step's code, so the current step's is still unused for the login below.
  await data(await mia.request.post("/v1/auth/mfa/verify", { data: { code: totp(enrolment.secret, app.worldNow() - 30_000) } }))
  await Promise.all([admin.request.dispose(), mia.request.dispose()])

  await page.goto("/login?next=%2Fsymbol%2F600519.SH")
  await page.locator("#login-username").fill("mia")
  await page.locator("#login-password").fill(password)
  await page.locator("#login-password").press("Enter")
  await expect(page.locator(".login")).toHaveAttribute("data-step", "mfa")
  await expect(page.locator("#login-code")).toBeFocused()
  expect(await seriousViolations(page)).toEqual([])
  expect((await page.context().cookies()).some((c) => c.name === "mg_session")).toBe(false)

  const now = totp(enrolment.secret, app.worldNow())
  await page.keyboard.type(now === "000000" ? "111111" : "000000")
  await page.keyboard.press("Enter")
  await expect(page.locator("#login-error")).toContainText("That code was not accepted: wrong code")
  await expect(page.locator("#login-code")).toBeFocused()
  await page.keyboard.type(totp(enrolment.secret, app.worldNow()))
  await page.keyboard.press("Enter")
  await expect(page).toHaveURL(/\/symbol\/600519\.SH$/)
  await expect(page.locator("#signed-in")).toHaveAttribute("data-name", "mia")
  await expect(page.locator("#signed-in")).toHaveAttribute("data-role", "viewer")
  // A viewer: the watchlist is theirs, the admin pages are not offered.
  await expect(page.locator(".topbar nav a[href='/watchlist']")).toBeVisible()
  await expect(page.locator(".topbar nav a[href='/admin/sources']")).toHaveCount(0)
})

test("session expiry: the next request of an ended session leads to the login page, which returns to the same page", async ({ page, app, consoleAllowed }) => {
  consoleAllowed.push(/status of 401 .*\/v1\/(bars|indicators)\//)
  await withPrefs("en")(page)
  await page.goto(`/login?next=${encodeURIComponent("/symbol/AAPL.US?interval=1w")}`)
  await page.locator("#login-username").fill(app.admin.username)
  await page.locator("#login-password").fill(app.admin.password)
  await page.locator("#login-password").press("Enter")
  await expect(page).toHaveURL(/\/symbol\/AAPL\.US\?interval=1w$/)
  await expect(page.locator(".symbol-page")).toHaveAttribute("data-ready", "true")
  await expect(page.locator("#signed-in")).toHaveAttribute("data-name", app.admin.username)

  // The session ends on the server (as after SESSION_TTL idle, or a logout elsewhere); the browser still holds its cookie.
  const elsewhere = await playwrightRequest.newContext({ baseURL: app.url, storageState: await page.context().storageState() })
  const csrf = (await page.context().cookies()).find((c) => c.name === "mg_csrf")!.value
  expect((await elsewhere.post("/v1/auth/logout", { headers: { "x-csrf-token": decodeURIComponent(csrf) } })).status()).toBe(200)
  await elsewhere.dispose()
  expect((await page.context().cookies()).some((c) => c.name === "mg_session")).toBe(true)

  await page.locator("[data-group=interval] button[data-value='1d']").click()
  await expect(page).toHaveURL(/\/login\?next=%2Fsymbol%2FAAPL\.US%3Finterval%3D1d%26[^&]*&expired=1$/)
  await expect(page.locator(".login .notice")).toHaveText("Your session has ended. Log in again to continue where you were.")
  await expect(page.locator("#account")).toHaveAttribute("data-state", "anonymous")
  await page.locator("#login-username").fill(app.admin.username)
  await page.locator("#login-password").fill(app.admin.password)
  await page.locator("#login-password").press("Enter")
  await expect(page).toHaveURL(/\/symbol\/AAPL\.US\?interval=1d&/)
  await expect(page.locator(".symbol-page")).toHaveAttribute("data-ready", "true")
  await expect(page.locator("[data-group=interval] button[data-value='1d']")).toHaveAttribute("aria-pressed", "true")
})
