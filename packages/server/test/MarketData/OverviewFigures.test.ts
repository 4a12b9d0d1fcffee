import { assert, describe, it } from "@effect/vitest"
import type { Quote } from "@marketgate/domain/Quote"
import { cnLimitOf, overviewFigures } from "../../src/MarketData/OverviewFigures.ts"

const quote = (symbol: string, price: number, prev: number, extra: Partial<Quote> = {}): Quote => ({
  symbol: symbol as Quote["symbol"],
  name: "X",
  price,
  open: prev,
  high: Math.max(price, prev),
  low: Math.min(price, prev),
  prev_close: prev,
  change: Math.round((price - prev) * 100) / 100,
  change_pct: Math.round(((price - prev) / prev) * 10_000) / 100,
  volume: 100,
  amount: price * 100,
  status: "open",
  ts: "2024-08-08T07:00:00.000Z",
  ...extra
})

describe("overview figures", () => {
  it("limit prices are the exchange's, rounded half up to the cent, per board and name", () => {
    // 赤天化 on 2024-08-08: 1.44 → 1.58 is the limit (+9.72 %), as recorded.
    const figures = overviewFigures([
      quote("600227.SH", 1.58, 1.44),
      quote("300001.SZ", 12, 10),
      quote("300002.SZ", 11, 10),
      quote("600001.SH", 9.5, 10, { name: "*ST Foo" }),
      quote("600002.SH", 9, 10),
      quote("688001.SH", 20, 10, { name: "N新股" })
    ])
    assert.deepInclude(figures.breadth, { limit_up: 2, limit_down: 2, advancers: 4, decliners: 2 })
    assert.strictEqual(cnLimitOf(quote("600001.SH", 1, 1, { name: "ST 某某" })), 0.05)
    assert.strictEqual(cnLimitOf(quote("510300.SH", 1, 1)), 0.1)
    assert.isUndefined(cnLimitOf(quote("AAPL.US", 1, 1)))
  })

  it("up and down are the price against the previous close, not the rounded percentage", () => {
    // The SSE Composite on 2024-08-08 closed +0.07 points while its change rounds to 0.00 %.
    const figures = overviewFigures([quote("600000.SH", 2869.97, 2869.9, { change_pct: 0 }), quote("600004.SH", 10, 10)])
    assert.deepInclude(figures.breadth, { advancers: 1, unchanged: 1, decliners: 0 })
  })

  it("suspended quotes count as such, not as unchanged, and are no movers; turnover sums every amount", () => {
    const figures = overviewFigures([
      quote("000003.SZ", 2.71, 2.71, { status: "suspended", volume: 0, amount: 0 }),
      quote("000001.SZ", 10.47, 10.5, { amount: 840_465_778.05 }),
      quote("000002.SZ", 2.99, 3.07, { amount: 332_291_104.94 })
    ])
    assert.deepStrictEqual(figures.breadth, { advancers: 0, decliners: 2, unchanged: 0, suspended: 1, limit_up: 0, limit_down: 0, total: 3 })
    assert.strictEqual(figures.turnover, 1_172_756_882.99)
    assert.deepStrictEqual(figures.most_active.map((q) => q.symbol as string), ["000001.SZ", "000002.SZ"])
    assert.deepStrictEqual(figures.top_losers.map((q) => q.symbol as string), ["000002.SZ", "000001.SZ"])
  })
})
