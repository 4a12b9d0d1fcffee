import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { readFileSync } from "node:fs"
import { clistQuote, ClistResponse, instrumentOfRow, rowsOf } from "../../src/Sources/Eastmoney/EastmoneyClist.ts"
import * as Eastmoney from "../../src/Sources/Eastmoney/EastmoneySource.ts"
import { MarketDataSource } from "../../src/Sources/MarketDataSource.ts"
import { replayed, ReplayServer } from "../support/ReplayServer.ts"

const fixture = (name: string) => readFileSync(new URL(`../fixtures/cn/eastmoney/${name}`, import.meta.url), "utf8")
const jsonp = (text: string) => JSON.parse(text.slice(text.indexOf("(") + 1, text.lastIndexOf(")")))
const decode = Schema.decodeUnknownSync(ClistResponse)

describe("Eastmoney clist rows (recorded)", () => {
  it("a page of SH gainers (2024-08-08): 20 main-board listings with their figures", () => {
    const body = decode(jsonp(fixture("clist-sh-a-gainers-pn1-2024-08-08.jsonp")))
    assert.strictEqual(body.data?.total, 2384)
    const rows = rowsOf(body.data!.diff)
    const instruments = rows.map(instrumentOfRow)
    assert.strictEqual(instruments.filter((i) => i !== undefined).length, 20)
    assert.deepInclude(instruments[0]!, { code: "600107", exchange: "SH", name: "美尔雅", board: "main", kind: "stock", lot_size: 100 })
    const quote = clistQuote(rows[0]!, instruments[0]!, Date.parse("2024-08-08T09:00:00Z"))
    // f2 3.69, f18 3.35, f5 89,585 lots, f6 32,711,449: as recorded, volume in shares.
    assert.deepInclude(quote, { price: 3.69, prev_close: 3.35, high: 3.69, low: 3.48, open: 3.5, volume: 8_958_500, amount: 32_711_449 })
  })

  it("a cut spot page (2026-07-07): padded names trimmed, a row without a trade ('-' prices) quoted at its previous close", () => {
    const body = decode(JSON.parse(fixture("clist-spot-cut-3rows-2026-07-07.json")))
    const rows = rowsOf(body.data!.diff)
    const instruments = rows.map(instrumentOfRow)
    // No f13 in this answer: the market comes from the code's range.
    assert.deepStrictEqual(instruments.map((i) => i?.symbol as string), ["000001.SZ", "000002.SZ", "000003.SZ"])
    assert.strictEqual(instruments[1]!.name, "万科Ａ")
    const suspended = clistQuote(rows[2]!, instruments[2]!, Date.parse("2026-07-07T06:00:00Z"))!
    assert.deepInclude(suspended, { price: 2.71, prev_close: 2.71, open: 2.71, volume: 0, amount: 0, change: 0 })
    // No trade, and its figures are stamped 08:00 Beijing (f124): before that day's open, so pre_open by the quote's own clock.
    assert.strictEqual(suspended.status, "pre_open")
  })
})

layer(replayed(Eastmoney.layer))("Eastmoney listing and snapshot over the replay server", (it) => {
  it.effect("instruments page through each board group; a list the server holds more of than it sent is incomplete", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      const listing = yield* source.instruments
      assert.strictEqual(listing.instruments.length, 20)
      // The recording is page 1 of 2,384 SH listings; page 2 was not recorded.
      assert.isFalse(listing.complete)
      const asked = (yield* replay.requests("eastmoney")).filter((r) => r.path === "/api/qt/clist/get")
      assert.deepStrictEqual(asked.map((r) => [r.query.fs, r.query.pn, r.query.pz]), [
        ["m:1 t:2,m:1 t:23", "1", "100"],
        ["m:1 t:2,m:1 t:23", "2", "100"],
        ["m:0 t:6,m:0 t:80", "1", "100"],
        ["b:MK0021,b:MK0022,b:MK0023,b:MK0024", "1", "100"]
      ])
    }))

  it.effect("snapshot: the same rows as quotes, and how many listings the server said there are", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const snapshot = yield* source.snapshot("CN")
      assert.strictEqual(snapshot.quotes.length, 20)
      assert.strictEqual(snapshot.expected, 2384)
      assert.isTrue(snapshot.quotes.every((q) => q.price > q.prev_close))
    }))

  it.effect("discovery: a quote names the listing; an unknown code is NotFound", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const moutai = yield* source.instrument("600519.SH" as never)
      assert.deepInclude(moutai, { code: "600519", exchange: "SH", name: "贵州茅台", board: "main", kind: "stock" })
      const error = yield* Effect.flip(source.instrument("600000.SH" as never))
      assert.strictEqual(error.reason, "NotFound")
    }))
})
