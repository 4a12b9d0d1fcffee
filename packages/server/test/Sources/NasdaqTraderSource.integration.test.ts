import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Result } from "effect"
import { readFileSync } from "node:fs"
import { MarketDataSource } from "../../src/Sources/MarketDataSource.ts"
import * as NasdaqTrader from "../../src/Sources/NasdaqTrader/NasdaqTraderSource.ts"
import { parseSymbolDirectory } from "../../src/Sources/NasdaqTrader/SymbolDirectory.ts"
import { replayed, ReplayServer } from "../support/ReplayServer.ts"

const fixture = (name: string) => readFileSync(new URL(`../fixtures/nasdaqtrader/${name}`, import.meta.url), "utf8")
const nasdaq = fixture("nasdaqlisted-2025-10-20.txt")
const other = fixture("otherlisted-2025-10-20.txt")

describe("the Nasdaq Trader symbol directory (recorded 2025-10-20)", () => {
  it("nasdaqlisted: shares and ETFs, test issues and warrants left out, the footer read", () => {
    const parsed = Result.getOrThrow(parseSymbolDirectory(nasdaq, "nasdaqlisted"))
    assert.strictEqual(parsed.createdAt, "1020202512:11")
    const bySymbol = new Map<string, (typeof parsed.instruments)[number]>(parsed.instruments.map((i) => [i.symbol, i]))
    assert.deepInclude(bySymbol.get("AAPL.US"), { name: "Apple Inc. - Common Stock", board: "nasdaq", kind: "stock", listed_date: null })
    assert.strictEqual(bySymbol.get("QQQ.US")?.kind, "etf")
    // ZAZZT is a test issue (Test Issue = Y); AACIW a warrant.
    assert.isFalse(bySymbol.has("ZAZZT.US"))
    assert.isFalse(bySymbol.has("AACIW.US"))
    const rows = nasdaq.split(/\r?\n/).filter((l) => l.length > 0).length - 2
    assert.strictEqual(parsed.instruments.length + parsed.skipped, rows)
    assert.isAbove(parsed.instruments.length, 4000)
  })

  it("otherlisted: the listing exchange as board, class shares as BRK-B, preferred series left out", () => {
    const parsed = Result.getOrThrow(parseSymbolDirectory(other, "otherlisted"))
    const bySymbol = new Map<string, (typeof parsed.instruments)[number]>(parsed.instruments.map((i) => [i.symbol, i]))
    assert.deepInclude(bySymbol.get("BRK-B.US"), { code: "BRK-B", board: "nyse", kind: "stock" })
    assert.deepInclude(bySymbol.get("SPY.US"), { board: "nyse_arca", kind: "etf" })
    assert.isFalse([...bySymbol.keys()].some((s) => s.startsWith("ABR$") || s.includes("$")))
    assert.isAbove(parsed.instruments.length, 6000)
  })

  it("a file cut short (no footer) or with another header is refused with a sentence", () => {
    const cut = parseSymbolDirectory(nasdaq.split("\n").slice(0, 100).join("\n"), "nasdaqlisted")
    assert.isTrue(Result.isFailure(cut))
    assert.include(Result.isFailure(cut) ? cut.failure : "", "was cut short")
    const wrong = parseSymbolDirectory(other, "nasdaqlisted")
    assert.isTrue(Result.isFailure(wrong))
    assert.include(Result.isFailure(wrong) ? wrong.failure : "", "documented header")
  })

  it("CRLF line ends (as nasdaqtrader.com serves them) parse the same", () => {
    const crlf = Result.getOrThrow(parseSymbolDirectory(nasdaq.replaceAll("\n", "\r\n"), "nasdaqlisted"))
    const lf = Result.getOrThrow(parseSymbolDirectory(nasdaq, "nasdaqlisted"))
    assert.deepStrictEqual(crlf, lf)
  })
})

layer(replayed(NasdaqTrader.layer))("NasdaqTraderSource over the replay server", (it) => {
  it.effect("instruments: both files fetched and merged into one complete US listing", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      const listing = yield* source.instruments
      assert.isTrue(listing.complete)
      const expected = Result.getOrThrow(parseSymbolDirectory(nasdaq, "nasdaqlisted")).instruments.length +
        Result.getOrThrow(parseSymbolDirectory(other, "otherlisted")).instruments.length
      assert.strictEqual(listing.instruments.length, expected)
      assert.isTrue(listing.instruments.every((i) => i.market === "US"))
      assert.deepStrictEqual((yield* replay.requests("nasdaqtrader")).map((r) => r.path).sort(), [
        "/dynamic/SymDir/nasdaqlisted.txt",
        "/dynamic/SymDir/otherlisted.txt"
      ])
    }))

  it.effect("a truncated file is a BadResponse, not a shorter listing", () =>
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const replay = yield* ReplayServer
      const error = yield* Effect.flip(replay.withFault("nasdaqtrader", { _tag: "Truncated" }, source.instruments))
      assert.deepInclude(error, { reason: "BadResponse", source: "nasdaqtrader" })
      assert.include(error.message, "cut short")
    }))
})
