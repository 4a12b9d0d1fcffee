import { assert, describe, it } from "@effect/vitest"
import { makeInstrument } from "@marketgate/domain/Instrument"
import { SearchIndex } from "../../src/Instruments/SearchIndex.ts"

const index = SearchIndex.of([
  makeInstrument("600519", "SH", "贵州茅台", "main", "2001-08-27"),
  makeInstrument("000001", "SZ", "平安银行", "main", "1991-04-03"),
  makeInstrument("601318", "SH", "中国平安", "main", "2007-03-01"),
  makeInstrument("000001", "SH", "上证指数", "index", "1991-07-15"),
  makeInstrument("600036", "SH", "招商银行", "main", "2002-04-09"),
  makeInstrument("510300", "SH", "沪深300ETF", "etf", "2012-05-28"),
  makeInstrument("AAPL", "US", "Apple Inc. - Common Stock", "nasdaq", null),
  makeInstrument("APLE", "US", "Apple Hospitality REIT, Inc. Common Shares", "nyse", null),
  makeInstrument("MSFT", "US", "Microsoft Corporation - Common Stock", "nasdaq", null)
])

const find = (q: string, extra: Partial<Parameters<SearchIndex["search"]>[0]> = {}) =>
  index.search({ q, limit: 10, offset: 0, ...extra }).instruments.map((i) => i.symbol as string)

describe("instrument search", () => {
  it("pinyin initials and full pinyin find the Chinese name", () => {
    assert.deepStrictEqual(find("gzmt"), ["600519.SH"])
    assert.deepStrictEqual(find("guizhoumaotai"), ["600519.SH"])
    assert.deepStrictEqual(find("GuiZhou"), ["600519.SH"])
    assert.deepStrictEqual(find("payh"), ["000001.SZ"])
    // 银行 is yin hang, not yin xing: the library reads the word, not the character.
    assert.deepStrictEqual(find("yinhang"), ["000001.SZ", "600036.SH"])
  })

  it("ranks exact code, then code prefix, then initials, then name substring", () => {
    // 000001 is both Ping An Bank (SZ) and the SSE Composite (SH): exact codes first, in symbol order.
    assert.deepStrictEqual(find("000001"), ["000001.SH", "000001.SZ"])
    assert.deepStrictEqual(find("6005"), ["600519.SH"])
    assert.deepStrictEqual(find("平安"), ["000001.SZ", "601318.SH"])
    assert.deepStrictEqual(find("zgpa"), ["601318.SH"])
  })

  it("English names for US listings, case-insensitive; the code outranks the name", () => {
    assert.deepStrictEqual(find("apple"), ["AAPL.US", "APLE.US"])
    // "ap" begins the code APLE but only the name of AAPL: the code prefix ranks first.
    assert.deepStrictEqual(find("ap"), ["APLE.US", "AAPL.US"])
    assert.deepStrictEqual(find("aple"), ["APLE.US"])
    assert.deepStrictEqual(find("microsoft"), ["MSFT.US"])
  })

  it("market and kind filter; total counts every match; paging", () => {
    assert.deepStrictEqual(find("", { kind: "index" }), ["000001.SH"])
    assert.deepStrictEqual(find("hs300"), ["510300.SH"])
    assert.deepStrictEqual(find("", { market: "US" }), ["AAPL.US", "APLE.US", "MSFT.US"])
    const page = index.search({ q: "", limit: 2, offset: 2 })
    assert.strictEqual(page.total, 9)
    assert.strictEqual(page.instruments.length, 2)
  })
})
