import type { APIResponse } from "@playwright/test"
import { signIn, totp } from "./support/auth.ts"
import { data, expect, test } from "./support/fixtures.ts"

/** Every endpoint of the OpenAPI document is listed here with its happy and error paths. */
const covered = new Set<string>()
const cover = (method: string, path: string) => covered.add(`${method} ${path}`)

const failsWith = async (response: APIResponse, status: number, msg: RegExp) => {
  expect(response.status()).toBe(status)
  const body = await response.json()
  expect(body).toMatchObject({ code: status, data: null })
  expect(body.msg).toMatch(msg)
  expect(typeof body.performance.trace_id).toBe("string")
}

/** Reads a server-sent-events answer up to its first `quote` event. */
const firstEvent = async (url: string) => {
  const controller = new AbortController()
  const response = await fetch(url, { signal: controller.signal })
  const reader = response.body!.getReader()
  let text = ""
  while (!text.includes("\n\n")) text += new TextDecoder().decode((await reader.read()).value)
  controller.abort()
  return { response, text }
}


test("API contract: every endpoint, happy and error paths", async ({ request, app }) => {
  const admin = await signIn(app.url, app.admin.username, app.admin.password)

  cover("get", "/v1/instruments")
  const page = await data(await request.get("/v1/instruments?q=600519&limit=5"))
  expect(page.instruments[0]).toMatchObject({ symbol: "600519.SH", market: "CN", currency: "CNY" })
  await failsWith(await request.get("/v1/instruments?limit=0"), 400, /limit must be a whole number from 1 to 1000/)

  cover("get", "/v1/instruments/{symbol}")
  expect(await data(await request.get("/v1/instruments/aapl.us"))).toMatchObject({ symbol: "AAPL.US", exchange: "US" })
  await failsWith(await request.get("/v1/instruments/999999.SH"), 404, /unknown symbol '999999.SH'/)
  await failsWith(await request.get("/v1/instruments/NOPE"), 400, /not a symbol/)

  cover("get", "/v1/quotes")
  const quotes = await data(await request.get("/v1/quotes?symbols=600519.SH,AAPL.US"))
  expect(quotes.quotes.map((q: any) => q.symbol)).toEqual(["600519.SH", "AAPL.US"])
  // An unknown symbol among known ones is listed as missing; alone, it is a 404.
  const partly = await data(await request.get("/v1/quotes?symbols=600519.SH,999999.SH"))
  expect(partly.missing).toMatchObject([{ symbol: "999999.SH", reason: "not_found" }])
  await failsWith(await request.get("/v1/quotes?symbols=999999.SH"), 404, /999999.SH/)
  await failsWith(await request.get(`/v1/quotes?symbols=${Array.from({ length: 101 }, (_, i) => `${600000 + i}.SH`).join(",")}`), 400, /1 to 100 symbols/)

  cover("get", "/v1/bars/{symbol}")
  const bars = await data(await request.get("/v1/bars/600519.SH?interval=1d&from=2025-05-01&to=2025-05-31"))
  expect(bars.bars.length).toBeGreaterThan(10)
  expect(bars.bars.every((b: any) => b.date >= "2025-05-01" && b.date <= "2025-05-31")).toBe(true)
  await failsWith(await request.get("/v1/bars/600519.SH?interval=2d"), 400, /interval/)
  await failsWith(await request.get("/v1/bars/600519.SH?from=2025-05-31&to=2025-05-01"), 400, /from \(2025-05-31\) must not be after to/)
  await failsWith(await request.get("/v1/bars/600519.SH?interval=5m&adjust=qfq"), 400, /intraday bars are served as traded/)
  await failsWith(await request.get("/v1/bars/999999.SH"), 404, /unknown symbol/)

  cover("post", "/v1/bars/batch")
  await failsWith(await request.post("/v1/bars/batch", { data: { symbols: ["600519.SH"] } }), 401, /needs the analyst role: sign in with POST \/v1\/auth\/login/)
  const batch = await data(await admin.request.post("/v1/bars/batch", { data: { symbols: ["600519.SH", "999999.SH", "bad"], from: "2025-05-01", to: "2025-05-10" } }))
  expect(batch.results.map((r: any) => r.ok)).toEqual([true, false, false])
  expect(batch.results[1].error.code).toBe(404)
  await failsWith(await admin.request.post("/v1/bars/batch", { data: { symbols: [] } }), 400, /1 to 200 symbols/)

  cover("get", "/v1/indicators/{symbol}")
  const macd = await data(await request.get("/v1/indicators/600519.SH?name=macd&from=2025-05-01&to=2025-05-31"))
  expect(Object.keys(macd.points[0].values).sort()).toEqual(["histogram", "macd", "signal"])
  await failsWith(await request.get("/v1/indicators/600519.SH?name=macd&period=9"), 400, /omit period/)
  await failsWith(await request.get("/v1/indicators/600519.SH?name=rsi&interval=5m"), 400, /1d, 1w or 1M/)
  await failsWith(await request.get("/v1/indicators/600519.SH?name=kdj"), 400, /name/)

  cover("get", "/v1/sources")
  const sources = await data(await request.get("/v1/sources"))
  expect(sources.sources[0].name).toBe("simulated")

  cover("get", "/v1/lineage/{symbol}")
  await failsWith(await request.get(`/v1/lineage/600519.SH?date=${bars.bars[0].date}`), 401, /needs the analyst role/)
  const lineage = await data(await admin.request.get(`/v1/lineage/600519.SH?date=${bars.bars[0].date}`))
  expect(lineage).toMatchObject({ symbol: "600519.SH", date: bars.bars[0].date, source: "simulated" })
  await failsWith(await admin.request.get("/v1/lineage/600519.SH?date=2010-01-04"), 404, /no stored bar/)
  await failsWith(await admin.request.get("/v1/lineage/600519.SH"), 400, /date/)

  cover("post", "/v1/admin/cache/invalidate")
  await failsWith(await request.post("/v1/admin/cache/invalidate", { data: { kinds: ["quote"] } }), 401, /needs the admin role/)
  // The session cookie alone does not change state: the CSRF token must come with it.
  await failsWith(await admin.request.post("/v1/admin/cache/invalidate", { data: { kinds: ["quote"] }, headers: { "x-csrf-token": "not-this-session" } }), 403, /X-CSRF-Token header does not match this session/)
  const invalidated = await data(await admin.request.post("/v1/admin/cache/invalidate", { data: { symbols: ["600519.SH"], kinds: ["quote"] } }))
  expect(invalidated.invalidated.length).toBeGreaterThan(0)
  await failsWith(await admin.request.post("/v1/admin/cache/invalidate", { data: { kinds: ["everything"] } }), 400, /kinds/)

  cover("post", "/v1/admin/backfill")
  const accepted = await admin.request.post("/v1/admin/backfill", { data: { symbols: ["600519.SH"], from: "2025-04-01", to: "2025-04-30" } })
  expect(accepted.status()).toBe(202)
  const run = await data(accepted)
  await failsWith(await admin.request.post("/v1/admin/backfill", { data: { from: "2025-05-01", to: "2025-04-01" } }), 400, /.+/)

  cover("get", "/v1/admin/jobs")
  await expect.poll(async () => {
    const jobs = await data(await admin.request.get("/v1/admin/jobs?kind=backfill"))
    return jobs.runs.find((r: any) => r.id === run.run_id)?.status
  }).toBe("succeeded")
  await failsWith(await admin.request.get("/v1/admin/jobs?kind=NOT-A-KIND"), 400, /kind must be a job kind/)

  cover("get", "/v1/stream/quotes")
  const stream = await firstEvent(`${app.url}/v1/stream/quotes?symbols=600519.SH`)
  expect(stream.response.headers.get("content-type")).toContain("text/event-stream")
  expect(stream.text).toMatch(/^event: quote\ndata: \{"symbol":"600519.SH"/)
  await failsWith(await request.get("/v1/stream/quotes?symbols=999999.SH"), 404, /unknown symbol/)
  await failsWith(await request.get("/v1/stream/quotes"), 400, /symbols/)

  cover("get", "/v1/market/overview")
  const overview = await data(await request.get("/v1/market/overview?market=CN"))
  expect(overview).toMatchObject({ market: "CN", snapshot: { source: "simulated" } })
  await failsWith(await request.get("/v1/market/overview?market=XX"), 400, /market/)

  // Money flow: this world is the demo, which refuses it (the real ranking: MoneyFlowHttp.integration.test.ts).
  cover("get", "/v1/market/moneyflow")
  await failsWith(await request.get("/v1/market/moneyflow?market=CN"), 404, /money flow needs a real provider \(eastmoney\)/)
  await failsWith(await request.get("/v1/market/moneyflow?market=US"), 400, /A-shares only/)
  await failsWith(await request.get("/v1/market/moneyflow?market=CN&limit=0"), 400, /limit must be a whole number from 1 to 50/)

  // People: login, who am I, two-step verification, logout.
  cover("post", "/v1/auth/login")
  await failsWith(await request.post("/v1/auth/login", { data: { username: app.admin.username, password: "not the password" } }), 401, /^wrong username or password$/)
  await failsWith(await request.post("/v1/auth/login", { data: { username: "" } }), 400, /password|username/)
  cover("post", "/v1/auth/setup")
  await failsWith(await request.post("/v1/auth/setup", { data: { setup_token: "made-up", username: "second", password: "a long enough passphrase" } }), 401, /setup token is not valid/)
  cover("get", "/v1/auth/me")
  expect(await data(await request.get("/v1/auth/me"))).toMatchObject({ kind: "anonymous", role: "viewer" })
  expect(await data(await admin.request.get("/v1/auth/me"))).toMatchObject({ kind: "user", name: app.admin.username, role: "admin", csrf_token: admin.csrf })

  // A person's watchlist, stored server-side (session + CSRF token on writes).
  cover("get", "/v1/watchlist")
  await failsWith(await request.get("/v1/watchlist"), 401, /^a watchlist belongs to a person: log in first/)
  expect(await data(await admin.request.get("/v1/watchlist"))).toEqual({ items: [], max: 100 })
  cover("post", "/v1/watchlist/{symbol}")
  expect((await data(await admin.request.post("/v1/watchlist/600519.sh"))).items.map((i: any) => i.symbol)).toEqual(["600519.SH"])
  await failsWith(await admin.request.post("/v1/watchlist/999999.SH"), 404, /unknown symbol '999999.SH'/)
  await failsWith(await admin.request.post("/v1/watchlist/600519.SH", { headers: { "x-csrf-token": "forged" } }), 403, /does not match this session/)
  cover("put", "/v1/watchlist")
  const watched = await data(await admin.request.put("/v1/watchlist", { data: { symbols: ["AAPL.US", "600519.SH"] } }))
  expect(watched.items.map((i: any) => [i.symbol, i.market])).toEqual([["AAPL.US", "US"], ["600519.SH", "CN"]])
  await failsWith(await admin.request.put("/v1/watchlist", { data: { symbols: ["600519.SH", "999999.SH"] } }), 400, /^unknown symbols: 999999.SH/)
  await failsWith(await admin.request.put("/v1/watchlist", { data: { symbols: ["AAPL.US", "aapl.us"] } }), 400, /lists AAPL.US twice/)
  cover("delete", "/v1/watchlist/{symbol}")
  expect((await data(await admin.request.delete("/v1/watchlist/AAPL.US"))).items.map((i: any) => i.symbol)).toEqual(["600519.SH"])
  await failsWith(await admin.request.delete("/v1/watchlist/NOPE"), 400, /not a symbol/)

  // Accounts (admin): users and API clients.
  cover("post", "/v1/admin/users")
  await failsWith(await request.post("/v1/admin/users", { data: { username: "ana", role: "analyst" } }), 401, /needs the admin role/)
  const ana = await admin.request.post("/v1/admin/users", { data: { username: "ana", role: "analyst", password: "ana's long passphrase" } })
  expect(ana.status()).toBe(201)
  const anaUser = (await data(ana)).user
  await failsWith(await admin.request.post("/v1/admin/users", { data: { username: "ana", role: "viewer" } }), 409, /taken/)
  await failsWith(await admin.request.post("/v1/admin/users", { data: { username: "bob", role: "owner" } }), 400, /role/)
  cover("get", "/v1/admin/users")
  expect((await data(await admin.request.get("/v1/admin/users?limit=10"))).users.map((u: any) => u.username)).toEqual(expect.arrayContaining(["ana", app.admin.username]))
  await failsWith(await admin.request.get("/v1/admin/users?limit=0"), 400, /limit/)

  cover("post", "/v1/auth/mfa/enrol")
  const anaSession = await signIn(app.url, "ana", "ana's long passphrase")
  const enrolment = await data(await anaSession.request.post("/v1/auth/mfa/enrol"))
  expect(enrolment.otpauth_uri).toMatch(/^otpauth:\/\/totp\//)
  cover("post", "/v1/auth/mfa/verify")
  await failsWith(await anaSession.request.post("/v1/auth/mfa/verify", { data: { code: "12345" } }), 400, /6 digits/)
  const enabled = await data(await anaSession.request.post("/v1/auth/mfa/verify", { data: { code: totp(enrolment.secret, app.worldNow()) } }))
  expect(enabled.recovery_codes.length).toBeGreaterThan(1)
  const twoStep = await request.post("/v1/auth/login", { data: { username: "ana", password: "ana's long passphrase" } })
  expect((await data(twoStep)).status).toBe("mfa_required")
  // A recovery code stands in for the code once (the code just used would be a replay).
  const withRecovery = await signIn(app.url, "ana", "ana's long passphrase", enabled.recovery_codes[0])
  cover("post", "/v1/auth/mfa/disable")
  await failsWith(await withRecovery.request.post("/v1/auth/mfa/disable", { data: { password: "wrong", code: enabled.recovery_codes[1] } }), 400, /stays on/)
  expect(await data(await withRecovery.request.post("/v1/auth/mfa/disable", { data: { password: "ana's long passphrase", code: enabled.recovery_codes[1] } }))).toEqual({ mfa_enabled: false })
  cover("post", "/v1/admin/users/{id}/reset-mfa")
  expect(await data(await admin.request.post(`/v1/admin/users/${anaUser.id}/reset-mfa`))).toMatchObject({ username: "ana" })
  await failsWith(await admin.request.post("/v1/admin/users/999999/reset-mfa"), 404, /no user 999999/)
  cover("post", "/v1/auth/logout")
  expect((await anaSession.request.post("/v1/auth/logout")).status()).toBe(200)
  await failsWith(await anaSession.request.get("/v1/lineage/600519.SH?date=2025-05-06"), 401, /sign in/)
  await failsWith(await request.post("/v1/auth/logout"), 400, /logout ends a session/)
  cover("post", "/v1/admin/users/{id}/disable")
  expect(await data(await admin.request.post(`/v1/admin/users/${anaUser.id}/disable`))).toMatchObject({ username: "ana" })
  await failsWith(await admin.request.post("/v1/admin/users/nope/disable"), 400, /id must be a user id/)
  await failsWith(await request.post("/v1/auth/login", { data: { username: "ana", password: "ana's long passphrase" } }), 403, /this account is disabled/)

  // Programs: client credentials, bearer tokens, revocation, introspection.
  cover("post", "/v1/admin/clients")
  const created = await admin.request.post("/v1/admin/clients", { data: { name: "research-bot", role: "analyst" } })
  expect(created.status()).toBe(201)
  const client = await data(created)
  await failsWith(await admin.request.post("/v1/admin/clients", { data: { name: "", role: "analyst" } }), 400, /name/)
  cover("get", "/v1/admin/clients")
  expect((await data(await admin.request.get("/v1/admin/clients"))).clients.map((c: any) => c.client_id)).toContain(client.client.client_id)
  cover("post", "/oauth/token")
  const basic = (secret: string) => `Basic ${Buffer.from(`${client.client.client_id}:${secret}`).toString("base64")}`
  const token = await request.post("/oauth/token", { form: { grant_type: "client_credentials" }, headers: { authorization: basic(client.client_secret) } })
  expect(token.status()).toBe(200)
  const issued = await token.json()
  expect(issued).toMatchObject({ token_type: "Bearer", scope: "analyst" })
  const bearer = { authorization: `Bearer ${issued.access_token}` }
  expect(await data(await request.post("/v1/bars/batch", { data: { symbols: ["600519.SH"], from: "2025-05-01", to: "2025-05-10" }, headers: bearer }))).toMatchObject({ results: [{ ok: true }] })
  const badSecret = await request.post("/oauth/token", { form: { grant_type: "client_credentials" }, headers: { authorization: basic("wrong") } })
  expect(badSecret.status()).toBe(401)
  expect(await badSecret.json()).toMatchObject({ error: "invalid_client" })
  const badGrant = await request.post("/oauth/token", { form: { grant_type: "password" }, headers: { authorization: basic(client.client_secret) } })
  expect(badGrant.status()).toBe(400)
  expect(await badGrant.json()).toMatchObject({ error: "unsupported_grant_type" })
  cover("post", "/oauth/introspect")
  expect(await (await admin.request.post("/oauth/introspect", { form: { token: issued.access_token } })).json()).toMatchObject({ active: true, client_id: client.client.client_id })
  expect((await request.post("/oauth/introspect", { form: { token: issued.access_token } })).status()).toBe(401)
  cover("post", "/oauth/revoke")
  expect((await request.post("/oauth/revoke", { form: { token: issued.access_token }, headers: { authorization: basic(client.client_secret) } })).status()).toBe(200)
  await failsWith(await request.get("/v1/quotes?symbols=600519.SH", { headers: bearer }), 401, /.+/)
  expect((await request.post("/oauth/revoke", { form: {}, headers: { authorization: basic(client.client_secret) } })).status()).toBe(400)
  cover("post", "/v1/admin/clients/{client_id}/rotate")
  const rotated = await data(await admin.request.post(`/v1/admin/clients/${client.client.client_id}/rotate`))
  expect(rotated.client_secret).not.toBe(client.client_secret)
  await failsWith(await admin.request.post("/v1/admin/clients/bad-id/rotate"), 400, /client_id must look like mgc_/)
  cover("post", "/v1/admin/clients/{client_id}/revoke")
  expect(await data(await admin.request.post(`/v1/admin/clients/${client.client.client_id}/revoke`))).toMatchObject({ client_id: client.client.client_id })
  await failsWith(await admin.request.post("/v1/admin/clients/mgc_not-a-client/revoke"), 404, /no live client/)

  cover("get", "/v1/admin/audit")
  await expect.poll(async () => (await data(await admin.request.get("/v1/admin/audit?action=login&outcome=failure"))).entries.length).toBeGreaterThan(0)
  await failsWith(await admin.request.get("/v1/admin/audit?ip=not-an-ip"), 400, /ip must be an IPv4 or IPv6 address/)

  cover("get", "/health")
  expect(await (await request.get("/health")).json()).toEqual({ status: "ok" })
  cover("get", "/ready")
  expect((await (await request.get("/ready")).json()).status).toBe("ready")
  expect((await request.get("/metrics")).status()).toBe(200)
  expect(await (await request.get("/metrics")).text()).toContain("http_requests_total")
  await failsWith(await request.get("/v1/no-such-thing"), 404, /no endpoint GET \/v1\/no-such-thing/)

  // The web app's own files.
  const index = await request.get("/")
  expect(index.headers()["content-type"]).toContain("text/html")
  // A reload revalidates: the 304 keeps the page's own CSP (a browser merges it into the cached page).
  const reload = await request.get("/symbol/600519.SH", { headers: { "if-none-match": index.headers()["etag"]! } })
  expect(reload.status()).toBe(304)
  expect(reload.headers()["content-security-policy"]).toBe(index.headers()["content-security-policy"])
  const main = await request.get("/app/main.ts")
  expect(main.headers()["content-type"]).toContain("text/javascript")
  expect(await main.text()).not.toMatch(/: (string|number)\b.*=>/)
  const again = await request.get("/app/main.ts", { headers: { "if-none-match": main.headers()["etag"]! } })
  expect(again.status()).toBe(304)
  expect((await request.get("/app/nope.ts")).status()).toBe(404)

  // The OpenAPI document lists exactly the endpoints above (the stream as text/event-stream).
  const spec = await (await request.get("/openapi.json")).json()
  expect(spec.paths["/v1/stream/quotes"].get.responses["200"].content["text/event-stream"]).toBeDefined()
  const documented = Object.entries(spec.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`))
  expect(documented.filter((e) => !covered.has(e))).toEqual([])
  expect((await request.get("/docs")).status()).toBe(200)
})

test.describe("stream limits", () => {
  test.use({ serverEnv: { STREAM_MAX_PER_CLIENT: "2" } })
  test("a client over its stream limit gets 429 with a sentence", async ({ request, app }) => {
    const controllers = [new AbortController(), new AbortController()]
    try {
      for (const c of controllers) {
        const r = await fetch(`${app.url}/v1/stream/quotes?symbols=600519.SH`, { signal: c.signal })
        expect(r.status).toBe(200)
      }
      await failsWith(await request.get("/v1/stream/quotes?symbols=600519.SH"), 429, /already has 2 open streams/)
      // A signed-in user counts as themselves, not as the address they share with others.
      const login = await fetch(`${app.url}/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: app.admin.username, password: app.admin.password })
      })
      const session = login.headers.getSetCookie().find((c) => c.startsWith("mg_session="))!.split(";")[0]!
      const mine = new AbortController()
      controllers.push(mine)
      const own = await fetch(`${app.url}/v1/stream/quotes?symbols=600519.SH`, { signal: mine.signal, headers: { cookie: session } })
      expect(own.status).toBe(200)
    } finally {
      for (const c of controllers) c.abort()
    }
    // Closed streams give their places back.
    await expect.poll(async () => (await firstEvent(`${app.url}/v1/stream/quotes?symbols=600519.SH`)).response.status).toBe(200)
  })
})
