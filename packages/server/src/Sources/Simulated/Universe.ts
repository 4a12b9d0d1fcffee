import type { ExchangeCalendar } from "@marketgate/domain/calendar/ExchangeCalendar"
import { marketIndices } from "@marketgate/domain/Indices"
import { type Board, type Instrument, type InstrumentKind, makeInstrument } from "@marketgate/domain/Instrument"
import type { Exchange } from "@marketgate/domain/Symbol"
import { stringId, uniform } from "./DeterministicRandom.ts"
import { PricePath } from "./PriceModel.ts"

/**
 * The simulated listing universe: well-known names so a demo reads naturally,
 * plus generated listings in each board's real code ranges. Everything but the
 * names of the well-known listings is made up. The universe does not depend
 * on the price seed, so symbols stay stable across seeds.
 */

/**
 * A well-known listing: its real name, and a price level and typical daily
 * volume (shares) it is steered to at `LEVEL_DATE` (docs/simulated-provider.md
 * says where each level comes from). Indices also give a typical turnover,
 * since an index's amount is not volume × level.
 */
interface Known {
  readonly code: string
  readonly exchange: Exchange
  readonly name: string
  readonly board: Board
  readonly listed: string
  readonly price: number
  readonly volume: number
  readonly turnover?: number
  readonly kind?: InstrumentKind
}

/** The trading day the well-known levels are taken from (the recorded Yahoo quotes' day). */
export const LEVEL_DATE = "2025-02-14"

// The simulated history starts in 1990; an index's path starts there even if it is older.
const SIMULATED_START = "1990-12-19"

const known: ReadonlyArray<Known> = [
  { code: "600519", exchange: "SH", name: "贵州茅台", board: "main", listed: "2001-08-27", price: 1458, volume: 3.00e6 },
  { code: "601318", exchange: "SH", name: "中国平安", board: "main", listed: "2007-03-01", price: 51, volume: 6.00e7 },
  { code: "600036", exchange: "SH", name: "招商银行", board: "main", listed: "2002-04-09", price: 41, volume: 6.00e7 },
  { code: "601398", exchange: "SH", name: "工商银行", board: "main", listed: "2006-10-27", price: 6.8, volume: 3.00e8 },
  { code: "600900", exchange: "SH", name: "长江电力", board: "main", listed: "2003-11-18", price: 28.5, volume: 7.00e7 },
  { code: "601872", exchange: "SH", name: "招商轮船", board: "main", listed: "2006-12-01", price: 6.9, volume: 9.00e7 },
  { code: "600030", exchange: "SH", name: "中信证券", board: "main", listed: "2003-01-06", price: 27, volume: 1.50e8 },
  { code: "600276", exchange: "SH", name: "恒瑞医药", board: "main", listed: "2000-10-18", price: 47, volume: 3.00e7 },
  { code: "600887", exchange: "SH", name: "伊利股份", board: "main", listed: "1996-03-12", price: 28.5, volume: 3.00e7 },
  { code: "688981", exchange: "SH", name: "中芯国际", board: "star", listed: "2020-07-16", price: 110, volume: 8.00e7 },
  { code: "688111", exchange: "SH", name: "金山办公", board: "star", listed: "2019-11-18", price: 330, volume: 5.00e6 },
  { code: "510300", exchange: "SH", name: "沪深300ETF", board: "etf", listed: "2012-05-28", price: 3.95, volume: 8.00e8 },
  { code: "510500", exchange: "SH", name: "中证500ETF", board: "etf", listed: "2013-03-15", price: 5.9, volume: 2.00e8 },
  { code: "000001", exchange: "SZ", name: "平安银行", board: "main", listed: "1991-04-03", price: 11.4, volume: 1.20e8 },
  { code: "000002", exchange: "SZ", name: "万科A", board: "main", listed: "1991-01-29", price: 7.1, volume: 1.50e8 },
  { code: "000333", exchange: "SZ", name: "美的集团", board: "main", listed: "2013-09-18", price: 75, volume: 2.50e7 },
  { code: "000858", exchange: "SZ", name: "五粮液", board: "main", listed: "1998-04-27", price: 133, volume: 1.50e7 },
  { code: "002594", exchange: "SZ", name: "比亚迪", board: "main", listed: "2011-06-30", price: 350, volume: 1.50e7 },
  { code: "002415", exchange: "SZ", name: "海康威视", board: "main", listed: "2010-05-28", price: 29, volume: 4.00e7 },
  { code: "300750", exchange: "SZ", name: "宁德时代", board: "chinext", listed: "2018-06-11", price: 260, volume: 2.00e7 },
  { code: "300059", exchange: "SZ", name: "东方财富", board: "chinext", listed: "2010-03-19", price: 23, volume: 4.00e8 },
  { code: "300760", exchange: "SZ", name: "迈瑞医疗", board: "chinext", listed: "2018-10-16", price: 260, volume: 5.00e6 },
  { code: "AAPL", exchange: "US", name: "Apple Inc.", board: "nasdaq", listed: "1980-12-12", price: 244.6, volume: 5.04e7 },
  { code: "MSFT", exchange: "US", name: "Microsoft Corporation", board: "nasdaq", listed: "1986-03-13", price: 408, volume: 2.00e7 },
  { code: "NVDA", exchange: "US", name: "NVIDIA Corporation", board: "nasdaq", listed: "1999-01-22", price: 138, volume: 2.50e8 },
  { code: "AMZN", exchange: "US", name: "Amazon.com, Inc.", board: "nasdaq", listed: "1997-05-15", price: 228.68, volume: 3.56e7 },
  { code: "GOOG", exchange: "US", name: "Alphabet Inc. Class C", board: "nasdaq", listed: "2014-03-27", price: 186.87, volume: 1.92e7 },
  { code: "GOOGL", exchange: "US", name: "Alphabet Inc. Class A", board: "nasdaq", listed: "2004-08-19", price: 185, volume: 3.00e7 },
  { code: "META", exchange: "US", name: "Meta Platforms, Inc.", board: "nasdaq", listed: "2012-05-18", price: 736, volume: 1.50e7 },
  { code: "TSLA", exchange: "US", name: "Tesla, Inc.", board: "nasdaq", listed: "2010-06-29", price: 355, volume: 9.00e7 },
  { code: "NFLX", exchange: "US", name: "Netflix, Inc.", board: "nasdaq", listed: "2002-05-23", price: 1058, volume: 3.50e6 },
  { code: "BABA", exchange: "US", name: "Alibaba Group Holding Limited", board: "nyse", listed: "2014-09-19", price: 124.73, volume: 1.96e7 },
  { code: "SPOT", exchange: "US", name: "Spotify Technology S.A.", board: "nyse", listed: "2018-04-03", price: 638.18, volume: 2.45e6 },
  { code: "V", exchange: "US", name: "Visa Inc.", board: "nyse", listed: "2008-03-19", price: 355, volume: 7.00e6 },
  { code: "MA", exchange: "US", name: "Mastercard Incorporated", board: "nyse", listed: "2006-05-25", price: 575, volume: 3.00e6 },
  { code: "ABBV", exchange: "US", name: "AbbVie Inc.", board: "nyse", listed: "2013-01-02", price: 192.87, volume: 6.07e6 },
  { code: "BEKE", exchange: "US", name: "KE Holdings Inc.", board: "nyse", listed: "2020-08-13", price: 20.5, volume: 7.20e6 },
  { code: "QQQ", exchange: "US", name: "Invesco QQQ Trust", board: "nasdaq", listed: "1999-03-10", price: 538.15, volume: 2.98e7, kind: "etf" },
  { code: "SPY", exchange: "US", name: "SPDR S&P 500 ETF Trust", board: "nyse_arca", listed: "1993-01-29", price: 609, volume: 4.50e7, kind: "etf" },
  { code: "BRK-B", exchange: "US", name: "Berkshire Hathaway Inc. Class B", board: "nyse", listed: "1996-05-09", price: 480, volume: 4.00e6 },
  { code: "JPM", exchange: "US", name: "JPMorgan Chase & Co.", board: "nyse", listed: "1990-01-02", price: 275, volume: 9.00e6 },
  { code: "JNJ", exchange: "US", name: "Johnson & Johnson", board: "nyse", listed: "1990-01-02", price: 155, volume: 7.50e6 },
  { code: "WMT", exchange: "US", name: "Walmart Inc.", board: "nyse", listed: "1990-01-02", price: 104, volume: 1.70e7 },
  { code: "PG", exchange: "US", name: "The Procter & Gamble Company", board: "nyse", listed: "1990-01-02", price: 168, volume: 7.00e6 },
  { code: "XOM", exchange: "US", name: "Exxon Mobil Corporation", board: "nyse", listed: "1990-01-02", price: 110, volume: 1.50e7 },
  { code: "KO", exchange: "US", name: "The Coca-Cola Company", board: "nyse", listed: "1990-01-02", price: 69, volume: 1.40e7 },
  { code: "PEP", exchange: "US", name: "PepsiCo, Inc.", board: "nasdaq", listed: "1990-01-02", price: 150, volume: 7.00e6 },
  { code: "DIS", exchange: "US", name: "The Walt Disney Company", board: "nyse", listed: "1990-01-02", price: 112, volume: 8.00e6 },
  { code: "INTC", exchange: "US", name: "Intel Corporation", board: "nasdaq", listed: "1990-01-02", price: 23, volume: 6.00e7 },
  { code: "CSCO", exchange: "US", name: "Cisco Systems, Inc.", board: "nasdaq", listed: "1990-02-16", price: 64, volume: 2.00e7 },
  { code: "ORCL", exchange: "US", name: "Oracle Corporation", board: "nyse", listed: "1990-01-02", price: 183, volume: 9.00e6 },
  { code: "IBM", exchange: "US", name: "International Business Machines Corporation", board: "nyse", listed: "1990-01-02", price: 261, volume: 4.00e6 },
  { code: "AMD", exchange: "US", name: "Advanced Micro Devices, Inc.", board: "nasdaq", listed: "1990-01-02", price: 111, volume: 4.00e7 },
  // The market indices, with the codes of @marketgate/domain/Indices.
  { code: "000001", exchange: "SH", name: "上证指数", board: "index", listed: "", price: 3346, volume: 4.50e10, turnover: 5.00e11 },
  { code: "399001", exchange: "SZ", name: "深证成指", board: "index", listed: "", price: 10800, volume: 6.00e10, turnover: 8.00e11 },
  { code: "000300", exchange: "SH", name: "沪深300", board: "index", listed: "", price: 3940, volume: 1.60e10, turnover: 3.00e11 },
  { code: "399006", exchange: "SZ", name: "创业板指", board: "index", listed: "", price: 2200, volume: 2.00e10, turnover: 3.50e11 },
  { code: "000688", exchange: "SH", name: "科创50", board: "index", listed: "", price: 1080, volume: 2.00e9, turnover: 7.00e10 },
  { code: "^GSPC", exchange: "US", name: "S&P 500", board: "index", listed: "", price: 6115, volume: 4.50e9, turnover: 9.00e11 },
  { code: "^IXIC", exchange: "US", name: "NASDAQ Composite", board: "index", listed: "", price: 20027, volume: 8.00e9, turnover: 7.00e11 },
  { code: "^DJI", exchange: "US", name: "Dow Jones Industrial Average", board: "index", listed: "", price: 44546, volume: 4.50e8, turnover: 9.00e10 }
]

// Code ranges of each board and the share of codes the simulation lists.
const ranges: ReadonlyArray<{
  readonly exchange: Exchange
  readonly board: Board
  readonly first: number
  readonly last: number
  readonly density: number
  readonly listedFrom: string
}> = [
  { exchange: "SH", board: "main", first: 600000, last: 603999, density: 0.38, listedFrom: "1991-01-01" },
  { exchange: "SH", board: "main", first: 605000, last: 605599, density: 0.2, listedFrom: "2019-01-01" },
  { exchange: "SH", board: "star", first: 688000, last: 688799, density: 0.62, listedFrom: "2019-07-22" },
  { exchange: "SZ", board: "main", first: 1, last: 3040, density: 0.3, listedFrom: "1991-01-01" },
  { exchange: "SZ", board: "chinext", first: 300001, last: 301600, density: 0.55, listedFrom: "2009-10-30" }
]

const cnPlaces = Array.from("华中东南北西新金天海恒宏鼎瑞嘉安盛泰远康德永信达立光明通博科汇长江山川云龙凯")
const cnSecond = Array.from("信达通源昌盛丰泰宇辰创兴旺隆鑫润华成德宝富联合祥晟")
const cnIndustries = [
  "科技", "股份", "电子", "医药", "实业", "能源", "材料", "机械", "电气", "控股",
  "生物", "环保", "传媒", "建设", "食品", "化工", "汽车", "软件", "通信", "智能"
]
const usFirst = [
  "North", "Blue", "Silver", "Summit", "Pacific", "Atlas", "Harbor", "Granite", "Evergreen", "Liberty",
  "Pioneer", "Crescent", "Keystone", "Meridian", "Orion", "Prairie", "Redwood", "Sterling", "Vertex", "Beacon"
]
const usSecond = [
  "Systems", "Therapeutics", "Energy", "Financial", "Logistics", "Semiconductor", "Foods", "Networks",
  "Materials", "Robotics", "Health", "Software", "Capital", "Industries", "Biosciences", "Media"
]
const usSuffix = ["Inc.", "Corp.", "Holdings Inc.", "Group Inc.", "Co."]

const pick = <A>(xs: ReadonlyArray<A>, u: number): A => xs[Math.floor(u * xs.length)]!

const DAY_MS = 86_400_000

const dateBetween = (from: string, to: string, u: number): string => {
  const a = Date.parse(from)
  const b = Date.parse(to)
  return new Date(a + Math.floor(u * ((b - a) / DAY_MS)) * DAY_MS).toISOString().slice(0, 10)
}

const UNIVERSE_ID = 0x5eed

const buildUniverse = (): ReadonlyArray<Instrument> => {
  const out = new Map<string, Instrument>()
  for (const k of known) {
    const index = marketIndices.find((i) => i.code === k.code && i.exchange === k.exchange)
    const listed = index === undefined ? k.listed : index.listed_date! < SIMULATED_START ? SIMULATED_START : index.listed_date!
    out.set(`${k.code}.${k.exchange}`, makeInstrument(k.code, k.exchange, k.name, k.board, listed, null, k.kind))
  }
  for (const r of ranges) {
    for (let n = r.first; n <= r.last; n++) {
      const code = String(n).padStart(6, "0")
      const id = stringId(`${code}.${r.exchange}`)
      if (uniform(UNIVERSE_ID, id, 0, 0) >= r.density || out.has(`${code}.${r.exchange}`)) continue
      const name = pick(cnPlaces, uniform(UNIVERSE_ID, id, 1, 0)) + pick(cnSecond, uniform(UNIVERSE_ID, id, 2, 0)) +
        pick(cnIndustries, uniform(UNIVERSE_ID, id, 3, 0))
      const listed = dateBetween(r.listedFrom, "2024-06-30", uniform(UNIVERSE_ID, id, 4, 0))
      out.set(`${code}.${r.exchange}`, makeInstrument(code, r.exchange, name, r.board, listed))
    }
  }
  const letters = Array.from("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
  let usCount = 0
  for (let i = 0; usCount < 520; i++) {
    const len = 3 + (hashLen(i) % 2)
    let code = ""
    for (let j = 0; j < len; j++) code += pick(letters, uniform(UNIVERSE_ID, i, 10 + j, 1))
    if (out.has(`${code}.US`)) continue
    const name = `${pick(usFirst, uniform(UNIVERSE_ID, i, 20, 1))} ${pick(usSecond, uniform(UNIVERSE_ID, i, 21, 1))} ${
      pick(usSuffix, uniform(UNIVERSE_ID, i, 22, 1))
    }`
    const board: Board = uniform(UNIVERSE_ID, i, 23, 1) < 0.55 ? "nasdaq" : "nyse"
    const listed = dateBetween("1990-01-02", "2024-06-30", uniform(UNIVERSE_ID, i, 24, 1))
    out.set(`${code}.US`, makeInstrument(code, "US", name, board, listed))
    usCount++
  }
  return [...out.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0))
}

const hashLen = (i: number) => Math.floor(uniform(UNIVERSE_ID, i, 9, 1) * 1000)

let universe: ReadonlyArray<Instrument> | undefined
let bySymbol: ReadonlyMap<string, Instrument> | undefined

/** All simulated listings, sorted by symbol (built once, on first use). */
export const simulatedUniverse = (): ReadonlyArray<Instrument> => {
  universe ??= buildUniverse()
  return universe
}

const levels = new Map(known.map((k) => [`${k.code}.${k.exchange}`, k]))

export const simulatedInstrument = (symbol: string): Instrument | undefined => {
  bySymbol ??= new Map(simulatedUniverse().map((i) => [i.symbol, i]))
  return bySymbol.get(symbol)
}

/** The price path of a simulated listing, steered to its level when it is a well-known one. */
export const simulatedPath = (seed: number, instrument: Instrument, calendar: ExchangeCalendar, recentOnly = false) => {
  const level = levels.get(instrument.symbol)
  return new PricePath(seed, instrument, calendar, level === undefined ? undefined : { ...level, date: LEVEL_DATE }, { recentOnly })
}
