import { assert, describe, it } from "@effect/vitest"
import { Exit, Schema } from "effect"
import { codeOf, exchangeOf, isSymbol, makeSymbol, marketOf, Symbol } from "../src/Symbol.ts"

const decode = Schema.decodeUnknownExit(Symbol)
const decoded = (input: unknown): string => {
  const exit = decode(input)
  if (Exit.isFailure(exit)) assert.fail(`'${String(input)}' should decode`)
  return exit.value
}

describe("Symbol schema", () => {
  it("accepts A-share and US listings as written", () => {
    for (const s of ["600519.SH", "000001.SZ", "300750.SZ", "688981.SH", "AAPL.US", "BRK-B.US", "V.US", "GOOGL.US", "ABCDEF.US"]) {
      assert.strictEqual(decoded(s), s)
    }
  })

  it("trims and upper-cases before checking", () => {
    assert.strictEqual(decoded(" 600519.sh "), "600519.SH")
    assert.strictEqual(decoded("aapl.us"), "AAPL.US")
    assert.strictEqual(decoded("\tbrk-b.Us\n"), "BRK-B.US")
    assert.strictEqual(decoded("000001.sz"), "000001.SZ")
  })

  it("rejects what is not CODE.EXCHANGE", () => {
    const bad = [
      "NOPE.XX", // unknown exchange
      "60051.SH", // five digits
      "6005190.SH", // seven digits
      "600519", // no exchange
      "AAPL", // no exchange
      "",
      "   ",
      ".SH",
      "600519.", // empty exchange
      "600519.US", // digits are not a US ticker
      "AAPL.SH", // letters are not an A-share code
      "600519 .SH", // inner space survives trimming
      "600519.SH.SH",
      "BRK.B.US", // class suffix uses a hyphen
      "BRK-BB.US",
      "ABCDEFG.US", // ticker longer than six characters
      "1AAPL.US",
      "AAPL-.US"
    ]
    for (const s of bad) assert.isTrue(Exit.isFailure(decode(s)), `'${s}' should be rejected`)
    for (const v of [600519, null, undefined, { symbol: "600519.SH" }]) assert.isTrue(Exit.isFailure(decode(v)))
  })

  it("explains a rejection with the expected form", () => {
    const exit = decode("NOPE.XX")
    assert.isTrue(Exit.isFailure(exit))
    assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), "'NOPE.XX' is not a symbol")
  })

  it("encodes a symbol unchanged", () => {
    assert.strictEqual(Schema.encodeSync(Symbol)(makeSymbol("600519", "SH")), "600519.SH")
  })
})

describe("symbol helpers", () => {
  it("isSymbol checks the canonical form only (no trimming or case folding)", () => {
    assert.isTrue(isSymbol("600519.SH"))
    assert.isTrue(isSymbol("BRK-B.US"))
    assert.isFalse(isSymbol("600519.sh"))
    assert.isFalse(isSymbol(" 600519.SH"))
  })

  it("exchangeOf / codeOf split at the last dot", () => {
    const cases = [
      ["600519.SH", "600519", "SH"],
      ["000001.SZ", "000001", "SZ"],
      ["AAPL.US", "AAPL", "US"],
      ["BRK-B.US", "BRK-B", "US"]
    ] as const
    for (const [s, code, exchange] of cases) {
      const symbol = makeSymbol(code, exchange)
      assert.strictEqual<string>(symbol, s)
      assert.strictEqual(codeOf(symbol), code)
      assert.strictEqual(exchangeOf(symbol), exchange)
    }
  })

  it("marketOf groups SH and SZ as CN", () => {
    assert.strictEqual(marketOf("SH"), "CN")
    assert.strictEqual(marketOf("SZ"), "CN")
    assert.strictEqual(marketOf("US"), "US")
  })

  it("makeSymbol refuses an invalid code", () => {
    assert.throws(() => makeSymbol("60051", "SH"), /not a symbol/)
    assert.throws(() => makeSymbol("aapl", "US"), /not a symbol/)
    assert.throws(() => makeSymbol("AAPL", "SZ"), /not a symbol/)
  })
})
