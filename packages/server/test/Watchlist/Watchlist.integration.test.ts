import { assert, describe, layer } from "@effect/vitest"
import { MAX_WATCHLIST } from "@marketgate/domain/Watchlist"
import { Effect, Redacted } from "effect"
import { Accounts } from "../../src/Auth/Accounts.ts"
import { issueToken } from "../support/AuthTest.ts"
import { Browser } from "../support/Browser.ts"
import { serverPort } from "../support/RawHttp.ts"
import { testApp } from "../support/TestApp.ts"
import { freshPostgres } from "../support/TestDatabase.ts"

const browser = Effect.map(serverPort, (port) => new Browser(`http://127.0.0.1:${port}`))

/** A browser signed in as a new viewer. */
const signedIn = (username: string) =>
  Effect.gen(function*() {
    const password = `${username}'s long passphrase`
    const added = yield* (yield* Accounts).add({ username, role: "viewer", password: Redacted.make(password) })
    assert.strictEqual(added._tag, "Added")
    const b = yield* browser
    const login = yield* b.login(username, password)
    assert.strictEqual(login.status, 200, JSON.stringify(login.body))
    return b
  })

const expectMsg = (answer: { status: number; body: any }, status: number, msg: RegExp) => {
  assert.strictEqual(answer.status, status, JSON.stringify(answer.body))
  assert.strictEqual(answer.body.code, status)
  assert.isNull(answer.body.data)
  assert.match(answer.body.msg, msg)
}

const symbolsOf = (answer: { status: number; body: any }) => {
  assert.strictEqual(answer.status, 200, JSON.stringify(answer.body))
  return (answer.body.data.items as Array<{ symbol: string }>).map((i) => i.symbol)
}

describe("watchlist: per person, stored server-side, behind the session and its CSRF token", () => {
  layer(testApp(freshPostgres(), { as: "anonymous" }), { timeout: "120 seconds", excludeTestServices: true })("watchlist", (it) => {
    it.effect("a viewer adds, reorders and removes symbols; the list keeps its order, names, and each person's own", () =>
      Effect.gen(function*() {
        const ann = yield* signedIn("ann")
        const empty = yield* ann.get("/v1/watchlist")
        assert.deepStrictEqual(empty.body.data, { items: [], max: MAX_WATCHLIST })

        assert.deepStrictEqual(symbolsOf(yield* ann.request("/v1/watchlist/600519.sh", { method: "POST", csrf: true })), ["600519.SH"])
        const two = yield* ann.request("/v1/watchlist/AAPL.US", { method: "POST", csrf: true })
        assert.deepStrictEqual(symbolsOf(two), ["600519.SH", "AAPL.US"])
        assert.deepStrictEqual(two.body.data.items.map((i: any) => i.market), ["CN", "US"])
        assert.isTrue(two.body.data.items.every((i: any) => i.name.length > 0 && i.name !== i.symbol && !Number.isNaN(Date.parse(i.added_at))))
        // Adding again changes nothing.
        assert.deepStrictEqual(symbolsOf(yield* ann.request("/v1/watchlist/AAPL.US", { method: "POST", csrf: true })), ["600519.SH", "AAPL.US"])
        const addedAt = two.body.data.items[0].added_at

        // PUT replaces the list in the order given; kept symbols keep their added_at.
        const put = yield* ann.request("/v1/watchlist", { method: "PUT", json: { symbols: ["000001.sz", "600519.SH"] }, csrf: true })
        assert.deepStrictEqual(symbolsOf(put), ["000001.SZ", "600519.SH"])
        assert.strictEqual(put.body.data.items[1].added_at, addedAt)
        assert.deepStrictEqual(symbolsOf(yield* ann.get("/v1/watchlist")), ["000001.SZ", "600519.SH"])

        assert.deepStrictEqual(symbolsOf(yield* ann.request("/v1/watchlist/000001.SZ", { method: "DELETE", csrf: true })), ["600519.SH"])
        assert.deepStrictEqual(symbolsOf(yield* ann.request("/v1/watchlist/000001.SZ", { method: "DELETE", csrf: true })), ["600519.SH"])

        // Another person has a list of their own.
        const ben = yield* signedIn("ben")
        assert.deepStrictEqual(symbolsOf(yield* ben.get("/v1/watchlist")), [])
        assert.deepStrictEqual(symbolsOf(yield* ann.get("/v1/watchlist")), ["600519.SH"])
      }))

    it.effect("bad input gets a 400 with a sentence; unknown symbols are refused; the list has a cap", () =>
      Effect.gen(function*() {
        const cy = yield* signedIn("cy")
        expectMsg(yield* cy.request("/v1/watchlist/999999.SH", { method: "POST", csrf: true }), 404, /^unknown symbol '999999\.SH'/)
        expectMsg(yield* cy.request("/v1/watchlist/NOPE", { method: "POST", csrf: true }), 400, /'NOPE' is not a symbol/)
        expectMsg(
          yield* cy.request("/v1/watchlist", { method: "PUT", json: { symbols: ["600519.SH", "999999.SH"] }, csrf: true }),
          400,
          /^unknown symbols: 999999\.SH; list known symbols with GET \/v1\/instruments\?q=/
        )
        expectMsg(
          yield* cy.request("/v1/watchlist", { method: "PUT", json: { symbols: ["600519.SH", "600519.sh"] }, csrf: true }),
          400,
          /lists 600519\.SH twice/
        )
        expectMsg(yield* cy.request("/v1/watchlist", { method: "PUT", json: {}, csrf: true }), 400, /symbols/)
        // A full list refuses one more, saying how to make room.
        const known = (yield* cy.get(`/v1/instruments?market=CN&limit=${MAX_WATCHLIST + 1}`)).body.data.instruments.map((i: any) => i.symbol)
        expectMsg(yield* cy.request("/v1/watchlist", { method: "PUT", json: { symbols: known }, csrf: true }), 400, /at most 100 symbols, got 101/)
        assert.strictEqual(symbolsOf(yield* cy.request("/v1/watchlist", { method: "PUT", json: { symbols: known.slice(0, MAX_WATCHLIST) }, csrf: true })).length, MAX_WATCHLIST)
        expectMsg(
          yield* cy.request(`/v1/watchlist/${known[MAX_WATCHLIST]}`, { method: "POST", csrf: true }),
          400,
          /^the watchlist is full \(100 symbols\); remove one with DELETE \/v1\/watchlist\/\{symbol\}/
        )
        assert.strictEqual(symbolsOf(yield* cy.request("/v1/watchlist", { method: "PUT", json: { symbols: [] }, csrf: true })).length, 0)
      }))

    it.effect("anonymous callers get 401, API clients 403, writes without the CSRF token 403", () =>
      Effect.gen(function*() {
        const anonymous = yield* browser
        expectMsg(yield* anonymous.get("/v1/watchlist"), 401, /^a watchlist belongs to a person: log in first with POST \/v1\/auth\/login/)
        const { token } = yield* issueToken("viewer", "watchlist program")
        expectMsg(yield* anonymous.get("/v1/watchlist", { authorization: `Bearer ${token}` }), 403, /not API clients/)
        const dee = yield* signedIn("dee")
        expectMsg(yield* dee.request("/v1/watchlist/600519.SH", { method: "POST" }), 403, /send the CSRF token/)
        expectMsg(yield* dee.request("/v1/watchlist", { method: "PUT", json: { symbols: [] } }), 403, /send the CSRF token/)
        expectMsg(yield* dee.request("/v1/watchlist/600519.SH", { method: "DELETE" }), 403, /send the CSRF token/)
        assert.deepStrictEqual(symbolsOf(yield* dee.get("/v1/watchlist")), [])
      }))
  })
})
