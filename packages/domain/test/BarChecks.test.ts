import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { ohlcViolation } from "../src/BarChecks.ts"

type OhlcvBar = Parameters<typeof ohlcViolation>[0]
import { eastmoney601872, yahooAapl } from "./fixtures/RealCloses.ts"

const ok: OhlcvBar = { open: 10, high: 11, low: 9, close: 10.5, volume: 1_000 }

describe("ohlcViolation", () => {
  it("accepts consistent bars, including flat ones and zero volume", () => {
    assert.isUndefined(ohlcViolation(ok))
    assert.isUndefined(ohlcViolation({ open: 5, high: 5, low: 5, close: 5, volume: 0 }))
    assert.isUndefined(ohlcViolation({ open: 9, high: 11, low: 9, close: 11, volume: 1 })) // open at the low, close at the high
  })

  it("accepts every real bar of the recorded Eastmoney and Yahoo responses", () => {
    for (const b of [...eastmoney601872, ...yahooAapl]) assert.isUndefined(ohlcViolation(b), b.date)
  })

  it("rejects a non-finite price or volume", () => {
    for (const field of ["open", "high", "low", "close", "volume"] as const) {
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        assert.match(ohlcViolation({ ...ok, [field]: bad }) ?? "", /finite/, `${field} = ${bad}`)
      }
    }
  })

  it("rejects a zero or negative price", () => {
    assert.match(ohlcViolation({ open: 0, high: 1, low: 0, close: 1, volume: 1 }) ?? "", /positive/)
    assert.match(ohlcViolation({ open: 1, high: 1, low: -1, close: 1, volume: 1 }) ?? "", /positive/)
    assert.match(ohlcViolation({ open: -2, high: -1, low: -3, close: -2, volume: 1 }) ?? "", /positive/)
    assert.match(ohlcViolation({ open: 0, high: 0, low: 0, close: 0, volume: 1 }) ?? "", /positive/)
  })

  it("rejects a low above the open or the close", () => {
    assert.match(ohlcViolation({ ...ok, low: 10.2 }) ?? "", /low is above/) // above open 10
    assert.match(ohlcViolation({ ...ok, open: 10.8, low: 10.6 }) ?? "", /low is above/) // above close 10.5
  })

  it("rejects a high below the open or the close", () => {
    assert.match(ohlcViolation({ ...ok, high: 10.2 }) ?? "", /high is below/) // below close 10.5
    assert.match(ohlcViolation({ ...ok, close: 9.5, high: 9.8 }) ?? "", /high is below/) // below open 10
  })

  it("rejects a negative volume", () => {
    assert.match(ohlcViolation({ ...ok, volume: -1 }) ?? "", /volume is negative/)
  })

  it("property: bars built with low ≤ open, close ≤ high are accepted; swapping high and low is not", () => {
    const price = fc.double({ min: 0.01, max: 1e6, noNaN: true })
    fc.assert(fc.property(fc.array(price, { minLength: 4, maxLength: 4 }), fc.nat(), ([a, b, c, d], volume) => {
      const [low, open, close, high] = [a!, b!, c!, d!].sort((x, y) => x - y)
      assert.isUndefined(ohlcViolation({ open: open!, high: high!, low: low!, close: close!, volume }))
      if (high! > low!) assert.isDefined(ohlcViolation({ open: open!, high: low!, low: high!, close: close!, volume }))
    }))
  })
})
