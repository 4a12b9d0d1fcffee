import { assert, describe, it } from "@effect/vitest"
import type { IndicatorName } from "../../src/Indicator.ts"
import { bollinger } from "../../src/indicators/Bollinger.ts"
import { computeIndicator, effectiveParams, warmupBars } from "../../src/indicators/ComputeIndicator.ts"
import { macd } from "../../src/indicators/Macd.ts"
import { ema, sma } from "../../src/indicators/MovingAverage.ts"
import { rsi } from "../../src/indicators/Rsi.ts"
import { eastmoney601872, yahooAapl } from "../fixtures/RealCloses.ts"

// ---- Naive reference implementations, written from the textbook definitions ----

type Values = ReadonlyArray<number | null>

const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / xs.length

const refSma = (x: ReadonlyArray<number>, p: number): Values =>
  x.map((_, i) => (i < p - 1 ? null : mean(x.slice(i - p + 1, i + 1))))

/**
 * EMA as an explicit weighted sum (no recursion): with α = 2/(p+1) and the seed
 * S = SMA of the first p values (TA-Lib), EMA_t = Σ_{j=0}^{t-p} α(1-α)^j x_{t-j} + (1-α)^{t-p+1} S.
 */
const refEma = (x: ReadonlyArray<number>, p: number): Values => {
  const a = 2 / (p + 1)
  const seed = mean(x.slice(0, p))
  return x.map((_, t) => {
    if (t < p - 1) return null
    let sum = (1 - a) ** (t - p + 1) * seed
    for (let j = 0; j <= t - p; j++) sum += a * (1 - a) ** j * x[t - j]!
    return sum
  })
}

const refBollinger = (x: ReadonlyArray<number>, p: number, k: number) => {
  const sd = x.map((_, i) => {
    if (i < p - 1) return null
    const w = x.slice(i - p + 1, i + 1)
    const m = mean(w)
    return Math.sqrt(mean(w.map((v) => (v - m) ** 2))) // population SD: divide by p
  })
  const middle = refSma(x, p)
  const band = (sign: number) => middle.map((m, i) => (m === null ? null : m + sign * k * sd[i]!))
  return { upper: band(1), middle, lower: band(-1) }
}

const refMacd = (x: ReadonlyArray<number>, fast: number, slow: number, sig: number) => {
  const f = refEma(x, fast)
  const s = refEma(x, slow)
  const line = x.map((_, i) => (f[i] === null || s[i] === null ? null : f[i]! - s[i]!))
  const start = slow - 1 // the slow EMA is the last to appear
  const signalTail = refEma(line.slice(start) as Array<number>, sig)
  const signal: Values = [...new Array<null>(start).fill(null), ...signalTail]
  const histogram = line.map((m, i) => (m === null || signal[i] === null ? null : m - signal[i]!))
  return { macd: line, signal, histogram }
}

/** Wilder: seed = mean of the first p gains/losses, then avg = (prev·(p−1) + current)/p; RSI = 100·G/(G+L). */
const refRsi = (x: ReadonlyArray<number>, p: number): Values => {
  const gains = x.map((v, i) => (i === 0 ? 0 : Math.max(v - x[i - 1]!, 0)))
  const losses = x.map((v, i) => (i === 0 ? 0 : Math.max(x[i - 1]! - v, 0)))
  const out: Array<number | null> = x.map(() => null)
  if (x.length <= p) return out
  let g = mean(gains.slice(1, p + 1))
  let l = mean(losses.slice(1, p + 1))
  out[p] = (100 * g) / (g + l)
  for (let i = p + 1; i < x.length; i++) {
    g = (g * (p - 1) + gains[i]!) / p
    l = (l * (p - 1) + losses[i]!) / p
    out[i] = (100 * g) / (g + l)
  }
  return out
}

const assertClose = (actual: Values, expected: Values, tol: number, label: string) => {
  assert.strictEqual(actual.length, expected.length, `${label}: length`)
  expected.forEach((e, i) => {
    const a = actual[i]
    if (e === null) assert.isNull(a, `${label}[${i}] should be null`)
    else {
      assert.isNumber(a, `${label}[${i}] should be a number`)
      assert.isAtMost(Math.abs(a! - e), tol, `${label}[${i}]: ${a} vs ${e}`)
    }
  })
}

const cnCloses = eastmoney601872.map((b) => b.close)
const usCloses = yahooAapl.map((b) => b.close)
const series = [
  { label: "601872.SH (Eastmoney)", closes: cnCloses, periods: [2, 3, 5, 9, 10] },
  { label: "AAPL (Yahoo)", closes: usCloses, periods: [2, 5, 12, 14, 20, 26, 49] }
]

describe("real fixtures", () => {
  it("hold the expected number of real closes", () => {
    assert.strictEqual(cnCloses.length, 10)
    assert.strictEqual(usCloses.length, 49)
    // Spot-check the column order: 601872 closed at 6.18 on 2024-12-18, after opening at 6.11.
    assert.deepStrictEqual(eastmoney601872[0], { date: "2024-12-18", open: 6.11, high: 6.28, low: 6.1, close: 6.18, volume: 84_274_300 })
    assert.isTrue([...cnCloses, ...usCloses].every((c) => Number.isFinite(c) && c > 0))
  })
})

describe("indicators match naive reference implementations on real closes", () => {
  for (const { closes, label, periods } of series) {
    for (const p of periods) {
      it(`${label}: SMA, EMA, Bollinger, RSI with period ${p}`, () => {
        assertClose(sma(closes, p), refSma(closes, p), 1e-9, "sma")
        assertClose(ema(closes, p), refEma(closes, p), 1e-9, "ema")
        const b = bollinger(closes, p, 2)
        const r = refBollinger(closes, p, 2)
        assertClose(b.middle, r.middle, 1e-9, "boll.middle")
        assertClose(b.upper, r.upper, 1e-9, "boll.upper")
        assertClose(b.lower, r.lower, 1e-9, "boll.lower")
        if (p < closes.length) assertClose(rsi(closes, p), refRsi(closes, p), 1e-9, "rsi")
      })
    }
  }

  it("Bollinger with another k scales the band width", () => {
    const b = bollinger(usCloses, 20, 2.5)
    const r = refBollinger(usCloses, 20, 2.5)
    assertClose(b.upper, r.upper, 1e-9, "upper")
    assertClose(b.lower, r.lower, 1e-9, "lower")
  })

  it("MACD(12, 26, 9) on AAPL equals EMA12 − EMA26 with an EMA9 signal", () => {
    const m = macd(usCloses, 12, 26, 9)
    const r = refMacd(usCloses, 12, 26, 9)
    assertClose(m.macd, r.macd, 1e-9, "macd")
    assertClose(m.signal, r.signal, 1e-9, "signal")
    assertClose(m.histogram, r.histogram, 1e-9, "histogram")
    // 26 − 1 bars before the line, 9 − 1 more before the signal.
    assert.strictEqual(m.macd.findIndex((v) => v !== null), 25)
    assert.strictEqual(m.signal.findIndex((v) => v !== null), 33)
  })

  it("MACD with short periods on the Eastmoney closes", () => {
    const m = macd(cnCloses, 3, 5, 2)
    const r = refMacd(cnCloses, 3, 5, 2)
    assertClose(m.macd, r.macd, 1e-9, "macd")
    assertClose(m.signal, r.signal, 1e-9, "signal")
    assertClose(m.histogram, r.histogram, 1e-9, "histogram")
  })
})

describe("Wilder RSI: StockCharts worked example", () => {
  // The StockCharts spreadsheet (cs-rsi.xls) uses 4-decimal closes; its published RSI values are
  // computed from these. Rounding the closes to 2 decimals moves the RSI by ~0.07, and the
  // list sometimes quoted with an extra 44.17 close and a 42.20 RSI is not the published table.
  const closes = [
    44.3389, 44.0902, 44.1497, 43.6124, 44.3278, 44.8264, 45.0955, 45.4245, 45.8433, 46.0826, 45.8931, 46.0328,
    45.614, 46.282, 46.282, 46.0028, 46.0328, 46.4116, 46.2222, 45.6439, 46.2122, 46.2521, 45.7137, 46.4515,
    45.7835, 45.3548, 44.0288, 44.1783, 44.2181, 44.5672, 43.4205, 42.6628, 43.1314
  ]
  const published = [
    70.53, 66.32, 66.55, 69.41, 66.36, 57.97, 62.93, 63.26, 56.06, 62.38, 54.71, 50.42, 39.99, 41.46, 41.87, 45.46,
    37.3, 33.08, 37.77
  ]

  it("reproduces the published values to 2 decimals", () => {
    const out = rsi(closes, 14)
    assert.strictEqual(out.length, closes.length)
    assert.deepStrictEqual(out.slice(0, 14), new Array(14).fill(null))
    assert.deepStrictEqual(out.slice(14).map((v) => Math.round(v! * 100) / 100), published)
  })

  it("agrees with the plain Wilder formula on the same closes rounded to 2 decimals", () => {
    const rounded = closes.map((c) => Math.round(c * 100) / 100)
    assertClose(rsi(rounded, 14), refRsi(rounded, 14), 1e-9, "rsi")
  })

  it("is 100 on a rising series, 0 on a falling one, and 50 on a flat one", () => {
    const up = Array.from({ length: 20 }, (_, i) => 10 + i)
    assert.deepStrictEqual(rsi(up, 5).slice(5), new Array(15).fill(100))
    assert.deepStrictEqual(rsi([...up].reverse(), 5).slice(5), new Array(15).fill(0))
    // No movement at all: neither side dominates, so the module reports the neutral 50.
    assert.deepStrictEqual(rsi(new Array(10).fill(7), 5).slice(5), new Array(5).fill(50))
  })
})

describe("outputs line up with inputs", () => {
  it("same length, null exactly until enough history", () => {
    for (const p of [2, 5, 14, 20]) {
      assert.strictEqual(sma(usCloses, p).findIndex((v) => v !== null), p - 1)
      assert.strictEqual(ema(usCloses, p).findIndex((v) => v !== null), p - 1)
      assert.strictEqual(rsi(usCloses, p).findIndex((v) => v !== null), p) // needs p changes
      assert.strictEqual(bollinger(usCloses, p).upper.findIndex((v) => v !== null), p - 1)
      for (const out of [sma(usCloses, p), ema(usCloses, p), rsi(usCloses, p), bollinger(usCloses, p).lower]) {
        assert.strictEqual(out.length, usCloses.length)
        assert.isTrue(out.slice(out.findIndex((v) => v !== null)).every((v) => v !== null))
      }
    }
  })

  it("too little history gives all nulls, and an empty input an empty output", () => {
    const short = cnCloses.slice(0, 4)
    assert.deepStrictEqual(sma(short, 5), [null, null, null, null])
    assert.deepStrictEqual(ema(short, 5), [null, null, null, null])
    assert.deepStrictEqual(rsi(short, 4), [null, null, null, null])
    assert.deepStrictEqual(macd(short).signal, [null, null, null, null])
    assert.deepStrictEqual(bollinger(short, 5).upper, [null, null, null, null])
    assert.deepStrictEqual(sma([], 3), [])
    assert.deepStrictEqual(computeIndicator("macd", [], 26), [])
  })
})

describe("computeIndicator", () => {
  it("returns one row per close with each indicator's keys", () => {
    const sma20 = computeIndicator("sma", usCloses, 20)
    assertClose(sma20.map((r) => r["value"]!), refSma(usCloses, 20), 1e-9, "sma")
    assertClose(computeIndicator("ema", usCloses, 10).map((r) => r["value"]!), refEma(usCloses, 10), 1e-9, "ema")
    assertClose(computeIndicator("rsi", usCloses, 14).map((r) => r["value"]!), refRsi(usCloses, 14), 1e-9, "rsi")

    const boll = computeIndicator("boll", usCloses, 20)
    const rb = refBollinger(usCloses, 20, 2)
    assert.deepStrictEqual(Object.keys(boll[30]!).sort(), ["lower", "middle", "upper"])
    assertClose(boll.map((r) => r["upper"]!), rb.upper, 1e-9, "boll.upper")
    assertClose(boll.map((r) => r["lower"]!), rb.lower, 1e-9, "boll.lower")

    // MACD ignores `period`: it always uses 12/26/9.
    const m = computeIndicator("macd", usCloses, 5)
    const rm = refMacd(usCloses, 12, 26, 9)
    assert.deepStrictEqual(Object.keys(m[40]!).sort(), ["histogram", "macd", "signal"])
    assertClose(m.map((r) => r["macd"]!), rm.macd, 1e-9, "macd")
    assertClose(m.map((r) => r["signal"]!), rm.signal, 1e-9, "signal")
    assertClose(m.map((r) => r["histogram"]!), rm.histogram, 1e-9, "histogram")
  })

  it("reports the parameters used", () => {
    assert.deepStrictEqual(effectiveParams("sma", 7), { period: 7 })
    assert.deepStrictEqual(effectiveParams("rsi", 14), { period: 14 })
    assert.deepStrictEqual(effectiveParams("boll", 20), { period: 20, k: 2 })
    assert.deepStrictEqual(effectiveParams("macd", 3), { fast: 12, slow: 26, signal: 9 })
  })
})

describe("warmupBars makes values independent of where the series starts", () => {
  // A long, deterministic, price-like series (multiplicative random walk from a small LCG),
  // since the real fixtures are shorter than the warm-up of the recursive indicators.
  const walk = (n: number, seed: number): Array<number> => {
    let s = seed >>> 0
    let price = 100
    return Array.from({ length: n }, () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0
      price *= Math.exp(0.03 * (s / 2 ** 32 - 0.5))
      return price
    })
  }

  const cases: ReadonlyArray<readonly [IndicatorName, number]> = [
    ["sma", 20], ["boll", 20], ["ema", 2], ["ema", 20], ["ema", 120], ["ema", 250],
    ["rsi", 2], ["rsi", 14], ["rsi", 20], ["rsi", 30], ["rsi", 100], ["rsi", 250], ["macd", 26]
  ]

  for (const [name, period] of cases) {
    it(`${name}(${period})`, () => {
      const warmup = warmupBars(name, period)
      const first = warmup + 500 // the first requested bar, far from the start of the full series
      const closes = walk(first + 200, 7 * period + name.length)
      const full = computeIndicator(name, closes, period)
      const tail = computeIndicator(name, closes.slice(first - warmup), period)
      for (let i = first; i < closes.length; i++) {
        const a = full[i]!
        const b = tail[i - (first - warmup)]!
        for (const key of Object.keys(a)) {
          assert.isNumber(b[key], `${name}(${period}) ${key}[${i}] is null after the warm-up`)
          assert.isAtMost(Math.abs(a[key]! - b[key]!), 1e-6, `${name}(${period}) ${key}[${i}]`)
        }
      }
    })
  }
})
