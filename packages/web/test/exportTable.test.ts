import { describe, expect, it } from "vitest"
import { csvText, type ExportData, exportTable, fileName } from "../src/exportTable.ts"
import { compact, percent, price, zoneOffsetSeconds } from "../src/format.ts"

const bar = (date: string, close: number, ts?: string) => ({
  date,
  ...(ts === undefined ? {} : { ts }),
  open: 10,
  high: 11,
  low: 9,
  close,
  volume: 1200,
  amount: 12_345.6,
  suspended: false
})

const daily: ExportData = {
  symbol: "600519.SH",
  name: "贵州茅台, \"A\"",
  interval: "1d",
  adjust: "qfq",
  from: "2025-05-01",
  to: "2025-05-31",
  timeZone: "Asia/Shanghai",
  bars: [bar("2025-05-06", 10.5), bar("2025-05-07", 10.25)],
  indicators: {
    ma5: new Map([["2025-05-07", 10.1]]),
    ma10: new Map(),
    ma20: new Map(),
    boll: new Map([["2025-05-07", { upper: 12, middle: 10, lower: 8 }]]),
    macd: new Map([["2025-05-07", { macd: 0.1, signal: 0.05, histogram: 0.05 }]]),
    rsi: new Map([["2025-05-07", 55.5]])
  },
  boll: true
}

describe("export table", () => {
  it("writes the API's fields, the shown indicators, UTF-8 BOM and RFC 4180 quoting", () => {
    const text = csvText(exportTable(daily))
    expect(text.charCodeAt(0)).toBe(0xfeff)
    const lines = text.slice(1).split("\r\n")
    expect(lines[0]).toBe(
      "symbol,name,date,open,high,low,close,volume,amount,suspended,ma5,ma10,ma20,boll_upper,boll_middle,boll_lower,macd,macd_signal,macd_histogram,rsi14"
    )
    expect(lines[1]).toBe(`600519.SH,"贵州茅台, ""A""",2025-05-06,10,11,9,10.5,1200,12345.6,false,,,,,,,,,,`)
    expect(lines[2]).toBe(`600519.SH,"贵州茅台, ""A""",2025-05-07,10,11,9,10.25,1200,12345.6,false,10.1,,,12,10,8,0.1,0.05,0.05,55.5`)
    expect(lines[3]).toBe("")
    expect(fileName(daily, "csv")).toBe("600519.SH_1d_qfq_2025-05-01_2025-05-31.csv")
  })

  it("intraday rows carry the UTC instant and the exchange's clock, and no indicators", () => {
    const table = exportTable({ ...daily, interval: "5m", adjust: "none", indicators: undefined, boll: false, bars: [bar("2025-06-04", 10, "2025-06-04T01:30:00.000Z")] })
    expect(table.header).toEqual(["symbol", "name", "date", "ts", "time", "open", "high", "low", "close", "volume", "amount", "suspended"])
    expect(table.rows[0]!.slice(2, 5)).toEqual(["2025-06-04", "2025-06-04T01:30:00.000Z", "2025-06-04 09:30"])
  })
})

describe("formatting", () => {
  it("follows the reader's locale", () => {
    expect(price(1234.5, "en-US")).toBe("1,234.50")
    expect(percent(1.25, "en-US")).toBe("+1.25%")
    expect(percent(-0.5, "zh-CN")).toBe("-0.50%")
    expect(compact(17_448_700, "zh-CN")).toBe("1744.87万")
    expect(compact(17_448_700, "en-US")).toBe("17.45M")
    expect(price(null, "en-US")).toBe("–")
  })

  it("reads instants on the exchange's clock, daylight saving included", () => {
    expect(zoneOffsetSeconds(Date.parse("2025-06-04T01:30:00Z"), "Asia/Shanghai")).toBe(8 * 3600)
    expect(zoneOffsetSeconds(Date.parse("2025-06-04T13:30:00Z"), "America/New_York")).toBe(-4 * 3600)
    expect(zoneOffsetSeconds(Date.parse("2025-01-06T14:30:00Z"), "America/New_York")).toBe(-5 * 3600)
  })
})
