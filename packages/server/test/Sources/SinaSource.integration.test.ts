import { assert, describe, it, layer } from "@effect/vitest"
import { Symbol } from "@marketgate/domain/Symbol"
import { readFileSync } from "node:fs"
import { TextDecoder } from "node:util"
import { Duration, Effect, Result, Schema } from "effect"
import { HttpClient } from "effect/http"
import { MarketDataSource } from "../../src/Sources/MarketDataSource.ts"
import { parseSinaLine } from "../../src/Sources/Sina/SinaLines.ts"
import * as Sina from "../../src/Sources/Sina/SinaSource.ts"
import { replayed, ReplayServer } from "../support/ReplayServer.ts"

const sym = Schema.decodeUnknownSync(Symbol)
/** The recording, stored as UTF-8 text. */
const recorded = readFileSync(new URL("../fixtures/cn/sina/sh510500-auction.txt", import.meta.url), "utf8").trim()
const recordedFields = recorded.slice(recorded.indexOf('"') + 1, recorded.lastIndexOf('"')).split(",")

describe("Sina quote lines", () => {
  it("a field that is not a number fails the line, naming the field", () => {
    const fields = [...recordedFields]
    fields[1] = "n/a"
    const line = parseSinaLine(`var hq_str_sh510500="${fields.join(",")}";`)
    assert.isTrue(Result.isFailure(line))
    assert.include(Result.isFailure(line) ? line.failure : "", "open")
  })

  it("a cut line does not parse", () => {
    assert.isTrue(Result.isFailure(parseSinaLine(recorded.slice(0, recorded.length / 2))))
  })
})

layer(replayed(Sina.layer))("SinaSource over the replay server", (it) => {
  it.effect("the call-auction recording: no trade yet, so pre_open at the previous close; name decoded from GBK", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      const [quote] = yield* source.quotes([sym("510500.SH")])
      assert.strictEqual(recordedFields[0], "中证500ETF南方")
      assert.strictEqual(recordedFields[3], "0.000") // price during the auction
      assert.deepStrictEqual(quote, {
        symbol: sym("510500.SH"),
        name: recordedFields[0]!,
        price: 8.375,
        open: 8.375,
        high: 8.375,
        low: 8.375,
        prev_close: 8.375,
        change: 0,
        change_pct: 0,
        volume: 0,
        amount: 0,
        status: "pre_open",
        ts: "2026-04-24T01:16:15.000Z" // 09:16:15 in Beijing
      })
      const request = (yield* replay.requests("sina")).at(-1)!
      assert.strictEqual(request.path, "/list=sh510500")
      assert.strictEqual(request.headers.referer, "https://finance.sina.com.cn")
    }))

  it.effect("the replayed body is GBK on the wire, as the live endpoint sends it", () =>
    Effect.gen(function*() {
      const replay = yield* ReplayServer
      const client = yield* HttpClient.HttpClient
      const response = yield* client.get(`${replay.baseUrl}/list=sh510500`, { headers: { referer: "https://finance.sina.com.cn" } })
      const bytes = yield* response.arrayBuffer
      assert.notInclude(new TextDecoder("utf-8").decode(bytes), "中证500ETF南方")
      assert.strictEqual(new TextDecoder("gbk").decode(bytes).trim(), recorded)
    }))

  it.effect("unknown codes (an empty hq_str_ line) are left out; all unknown is NotFound", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      const quotes = yield* source.quotes([sym("000001.SZ"), sym("510500.SH")])
      assert.deepStrictEqual(quotes.map((q) => q.symbol), ["510500.SH"])
      assert.strictEqual((yield* replay.requests("sina")).at(-1)!.path, "/list=sz000001,sh510500")
      assert.deepInclude(yield* Effect.flip(source.quotes([sym("000001.SZ")])), { reason: "NotFound", retryable: false })
    }))

  it.effect("malformed and truncated bodies are BadResponse; 500 Unavailable; 429 RateLimited", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      const call = source.quotes([sym("510500.SH")])
      for (const fault of [{ _tag: "Malformed" }, { _tag: "Truncated" }] as const) {
        const error = yield* Effect.flip(replay.withFault("sina", fault, call))
        assert.deepInclude(error, { reason: "BadResponse", retryable: false }, fault._tag)
        assert.include(error.message, "does not parse")
      }
      assert.deepInclude(yield* Effect.flip(replay.withFault("sina", { _tag: "Status", status: 500 }, call)), {
        reason: "Unavailable",
        retryable: true,
        status: 500
      })
      const limited = yield* Effect.flip(
        replay.withFault("sina", { _tag: "Status", status: 429, headers: { "Retry-After": "2" } }, call)
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
      const before = (yield* replay.requests("sina")).length
      const errors = [
        yield* Effect.flip(source.instruments),
        yield* Effect.flip(source.dailyBars(sym("510500.SH"), "2026-04-01", "2026-04-24")),
        yield* Effect.flip(source.intradayBars(sym("510500.SH"), "1m", "2026-04-24", "2026-04-24")),
        yield* Effect.flip(source.quotes([sym("AAPL.US")]))
      ]
      for (const error of errors) assert.deepInclude(error, { reason: "Unsupported", retryable: false, source: "sina" })
      assert.strictEqual((yield* replay.requests("sina")).length, before)
    }))
})
