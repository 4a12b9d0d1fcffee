import { assert, describe, it, layer } from "@effect/vitest"
import { Symbol } from "@marketgate/domain/Symbol"
import { readFileSync } from "node:fs"
import { Duration, Effect, Result, Schema } from "effect"
import { MarketDataSource } from "../../src/Sources/MarketDataSource.ts"
import { parseTencentLine } from "../../src/Sources/Tencent/TencentLines.ts"
import * as Tencent from "../../src/Sources/Tencent/TencentSource.ts"
import { replayed, ReplayServer } from "../support/ReplayServer.ts"

const sym = Schema.decodeUnknownSync(Symbol)
/** The recording, stored as UTF-8 text. */
const recorded = readFileSync(new URL("../fixtures/cn/tencent/sh510500.txt", import.meta.url), "utf8").trim()
const f = recorded.slice(recorded.indexOf('"') + 1, recorded.lastIndexOf('"')).split("~")

describe("Tencent quote lines", () => {
  it("the recorded line is self-consistent at the positions the adapter reads", () => {
    const n = (i: number) => Number(f[i])
    assert.strictEqual(n(6), n(7) + n(8)) // volume = outer + inner, lots
    assert.closeTo(n(31), n(3) - n(4), 1e-9) // change = price − previous close
    assert.closeTo(n(32), Math.round(((n(3) - n(4)) / n(4)) * 10_000) / 100, 1e-9) // change %
    assert.isAtLeast(n(33), Math.max(n(3), n(5))) // high
    assert.isAtMost(n(34), Math.min(n(3), n(5))) // low
    const [, lots, amount] = f[35]!.split("/").map(Number)
    assert.strictEqual(lots, n(6))
    assert.strictEqual(Math.round(amount! / 10_000), n(37)) // field 37 is the amount in 10k CNY
    assert.closeTo(amount! / (lots! * 100), n(51), 0.001) // average price: lots of 100 shares, CNY
  })

  it("v_pv_none_match carries no quote; a line without enough fields fails", () => {
    assert.isUndefined(Result.getOrThrow(parseTencentLine('v_pv_none_match="1";')))
    const short = parseTencentLine(`v_sh510500="${f.slice(0, 20).join("~")}";`)
    assert.isTrue(Result.isFailure(short))
  })
})

layer(replayed(Tencent.layer))("TencentSource over the replay server", (it) => {
  it.effect("a provider request carries the caller's W3C traceparent: the provider's logs join our trace", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      const span = yield* Effect.withSpan(
        source.quotes([sym("510500.SH")]).pipe(Effect.andThen(Effect.currentSpan)),
        "test.request"
      )
      const sent = (yield* replay.requests("tencent")).at(-1)?.headers.traceparent
      // 00-<trace id>-<id of the client span of the call>-<flags>
      assert.match(sent ?? "", new RegExp(`^00-${span.traceId}-[0-9a-f]{16}-0[01]$`))
    }))

  it.effect("the 510500 recording: fields by position, lots × 100, amount in CNY, Beijing time, closed", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      const [quote] = yield* source.quotes([sym("510500.SH")])
      assert.deepStrictEqual(quote, {
        symbol: sym("510500.SH"),
        name: f[1]!,
        price: 7.224,
        open: 7.147,
        high: 7.28,
        low: 7.085,
        prev_close: 7.149,
        change: 0.075, // field 31
        change_pct: 1.05, // field 32
        volume: 272_478_100,
        amount: 1_964_297_124,
        status: "closed",
        ts: "2020-07-31T07:40:41.000Z" // 15:40:41 in Beijing
      })
      assert.strictEqual((yield* replay.requests("tencent")).at(-1)!.path, "/q=sh510500")
    }))

  it.effect("unknown codes are left out; none known (v_pv_none_match) is NotFound", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      const quotes = yield* source.quotes([sym("510500.SH"), sym("000001.SZ")])
      assert.deepStrictEqual(quotes.map((q) => q.symbol), ["510500.SH"])
      assert.strictEqual((yield* replay.requests("tencent")).at(-1)!.path, "/q=sh510500,sz000001")
      assert.deepInclude(yield* Effect.flip(source.quotes([sym("000001.SZ")])), { reason: "NotFound", retryable: false })
    }))

  it.effect("malformed and truncated bodies are BadResponse; 500 Unavailable; 429 RateLimited", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      const call = source.quotes([sym("510500.SH")])
      for (const fault of [{ _tag: "Malformed" }, { _tag: "Truncated" }] as const) {
        const error = yield* Effect.flip(replay.withFault("tencent", fault, call))
        assert.deepInclude(error, { reason: "BadResponse", retryable: false }, fault._tag)
      }
      assert.deepInclude(yield* Effect.flip(replay.withFault("tencent", { _tag: "Status", status: 502 }, call)), {
        reason: "Unavailable",
        retryable: true,
        status: 502
      })
      const limited = yield* Effect.flip(
        replay.withFault("tencent", { _tag: "Status", status: 429, headers: { "Retry-After": "2" } }, call)
      )
      assert.deepInclude(limited, { reason: "RateLimited", retryable: false, status: 429 })
      assert.isTrue(Duration.equals(limited.retryAfter!, Duration.seconds(2)))
    }))

  it.effect("quotes of CN listings only: everything else is Unsupported without a request", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      assert.deepStrictEqual([...source.capabilities.operations], ["quotes"])
      assert.deepStrictEqual([...source.capabilities.markets], ["CN"])
      const before = (yield* replay.requests("tencent")).length
      const errors = [
        yield* Effect.flip(source.instruments),
        yield* Effect.flip(source.dailyBars(sym("510500.SH"), "2020-07-01", "2020-07-31")),
        yield* Effect.flip(source.intradayBars(sym("510500.SH"), "5m", "2020-07-31", "2020-07-31")),
        yield* Effect.flip(source.quotes([sym("AAPL.US")]))
      ]
      for (const error of errors) assert.deepInclude(error, { reason: "Unsupported", retryable: false, source: "tencent" })
      assert.strictEqual((yield* replay.requests("tencent")).length, before)
    }))
})
