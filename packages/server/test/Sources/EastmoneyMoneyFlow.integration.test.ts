import { assert, layer } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { MONEY_FLOW_FS } from "../../src/Sources/Eastmoney/EastmoneyMoneyFlow.ts"
import * as Eastmoney from "../../src/Sources/Eastmoney/EastmoneySource.ts"
import { MarketDataSource } from "../../src/Sources/MarketDataSource.ts"
import { replayed, ReplayServer } from "../support/ReplayServer.ts"

/**
 * The capital-flow ranking against the recording
 * clist-hs-a-fundflow-pn1-2024-08-08.jsonp (the figures below are checked by
 * hand from the file: see the fixtures README).
 */
layer(replayed(Eastmoney.layer))("Eastmoney money flow over the replay server", (it) => {
  it.effect("the recorded ranking: 50 A-shares by main-force net inflow, the recorded request, the figures as recorded", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      const top = yield* source.moneyFlow("CN")
      assert.strictEqual(top.ranked, 5112)
      assert.strictEqual(top.entries.length, 50)
      const first = top.entries[0]!
      // 五 粮 液 as recorded; names lose the exchange's padding.
      assert.deepStrictEqual(first, {
        symbol: "000858.SZ",
        name: "五粮液",
        price: 128.35,
        change_pct: 1.06,
        main_net: 188_792_729,
        main_net_pct: 7.38,
        super_large_net: 157_814_729,
        super_large_pct: 6.17,
        large_net: 30_978_000,
        large_pct: 1.21,
        medium_net: -88_896_816,
        medium_pct: -3.47,
        small_net: -99_895_904,
        small_pct: -3.9,
        ts: "2024-08-08T07:34:18.000Z"
      } as typeof first)
      assert.deepStrictEqual(top.entries.slice(0, 3).map((e) => e.symbol as string), ["000858.SZ", "601162.SH", "600519.SH"])
      const last = top.entries[49]!
      assert.deepStrictEqual([last.symbol as string, last.name, last.main_net], ["688721.SH", "C龙图", 48_047_331])
      // Largest first, and main force = super-large + large in every row.
      for (let i = 1; i < 50; i++) assert.isAtMost(top.entries[i]!.main_net, top.entries[i - 1]!.main_net)
      for (const e of top.entries) assert.strictEqual(e.super_large_net! + e.large_net!, e.main_net)
      // The request is the recorded one: page 1, 50 rows, by f62 descending, the recorded boards.
      const asked = (yield* replay.requests("eastmoney")).filter((r) => r.path === "/api/qt/clist/get" && r.query.fid === "f62")
      assert.deepStrictEqual(asked.map((r) => [r.query.fs, r.query.pn, r.query.pz, r.query.po]), [[MONEY_FLOW_FS, "1", "50", "1"]])
    }))

  it.effect("US: refused without a request (Eastmoney ranks A-shares only)", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const exit = yield* Effect.exit(source.moneyFlow("US"))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = exit.cause.reasons.find((r) => r._tag === "Fail")?.error
        assert.strictEqual(error?.reason, "Unsupported")
      }
    }))
})
