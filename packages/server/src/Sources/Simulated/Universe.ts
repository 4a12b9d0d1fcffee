import { type Board, type Instrument, makeInstrument } from "@marketgate/domain/Instrument"
import type { Exchange } from "@marketgate/domain/Symbol"
import { stringId, uniform } from "./DeterministicRandom.ts"

/**
 * The simulated listing universe: well-known names so a demo reads naturally,
 * plus generated listings in each board's real code ranges. Everything but the
 * names of the well-known listings is made up. The universe does not depend
 * on the price seed, so symbols stay stable across seeds.
 */

interface Known {
  readonly code: string
  readonly exchange: Exchange
  readonly name: string
  readonly board: Board
  readonly listed: string
}

const known: ReadonlyArray<Known> = [
  { code: "600519", exchange: "SH", name: "贵州茅台", board: "main", listed: "2001-08-27" },
  { code: "601318", exchange: "SH", name: "中国平安", board: "main", listed: "2007-03-01" },
  { code: "600036", exchange: "SH", name: "招商银行", board: "main", listed: "2002-04-09" },
  { code: "601398", exchange: "SH", name: "工商银行", board: "main", listed: "2006-10-27" },
  { code: "600900", exchange: "SH", name: "长江电力", board: "main", listed: "2003-11-18" },
  { code: "601872", exchange: "SH", name: "招商轮船", board: "main", listed: "2006-12-01" },
  { code: "600030", exchange: "SH", name: "中信证券", board: "main", listed: "2003-01-06" },
  { code: "600276", exchange: "SH", name: "恒瑞医药", board: "main", listed: "2000-10-18" },
  { code: "600887", exchange: "SH", name: "伊利股份", board: "main", listed: "1996-03-12" },
  { code: "688981", exchange: "SH", name: "中芯国际", board: "star", listed: "2020-07-16" },
  { code: "688111", exchange: "SH", name: "金山办公", board: "star", listed: "2019-11-18" },
  { code: "510300", exchange: "SH", name: "沪深300ETF", board: "etf", listed: "2012-05-28" },
  { code: "510500", exchange: "SH", name: "中证500ETF", board: "etf", listed: "2013-03-15" },
  { code: "000001", exchange: "SZ", name: "平安银行", board: "main", listed: "1991-04-03" },
  { code: "000002", exchange: "SZ", name: "万科A", board: "main", listed: "1991-01-29" },
  { code: "000333", exchange: "SZ", name: "美的集团", board: "main", listed: "2013-09-18" },
  { code: "000858", exchange: "SZ", name: "五粮液", board: "main", listed: "1998-04-27" },
  { code: "002594", exchange: "SZ", name: "比亚迪", board: "main", listed: "2011-06-30" },
  { code: "002415", exchange: "SZ", name: "海康威视", board: "main", listed: "2010-05-28" },
  { code: "300750", exchange: "SZ", name: "宁德时代", board: "chinext", listed: "2018-06-11" },
  { code: "300059", exchange: "SZ", name: "东方财富", board: "chinext", listed: "2010-03-19" },
  { code: "300760", exchange: "SZ", name: "迈瑞医疗", board: "chinext", listed: "2018-10-16" },
  { code: "AAPL", exchange: "US", name: "Apple Inc.", board: "nasdaq", listed: "1980-12-12" },
  { code: "MSFT", exchange: "US", name: "Microsoft Corporation", board: "nasdaq", listed: "1986-03-13" },
  { code: "NVDA", exchange: "US", name: "NVIDIA Corporation", board: "nasdaq", listed: "1999-01-22" },
  { code: "AMZN", exchange: "US", name: "Amazon.com, Inc.", board: "nasdaq", listed: "1997-05-15" },
  { code: "GOOG", exchange: "US", name: "Alphabet Inc. Class C", board: "nasdaq", listed: "2014-03-27" },
  { code: "GOOGL", exchange: "US", name: "Alphabet Inc. Class A", board: "nasdaq", listed: "2004-08-19" },
  { code: "META", exchange: "US", name: "Meta Platforms, Inc.", board: "nasdaq", listed: "2012-05-18" },
  { code: "TSLA", exchange: "US", name: "Tesla, Inc.", board: "nasdaq", listed: "2010-06-29" },
  { code: "NFLX", exchange: "US", name: "Netflix, Inc.", board: "nasdaq", listed: "2002-05-23" },
  { code: "BABA", exchange: "US", name: "Alibaba Group Holding Limited", board: "nyse", listed: "2014-09-19" },
  { code: "SPOT", exchange: "US", name: "Spotify Technology S.A.", board: "nyse", listed: "2018-04-03" },
  { code: "V", exchange: "US", name: "Visa Inc.", board: "nyse", listed: "2008-03-19" },
  { code: "MA", exchange: "US", name: "Mastercard Incorporated", board: "nyse", listed: "2006-05-25" },
  { code: "ABBV", exchange: "US", name: "AbbVie Inc.", board: "nyse", listed: "2013-01-02" },
  { code: "BEKE", exchange: "US", name: "KE Holdings Inc.", board: "nyse", listed: "2020-08-13" },
  { code: "QQQ", exchange: "US", name: "Invesco QQQ Trust", board: "nasdaq", listed: "1999-03-10" },
  { code: "SPY", exchange: "US", name: "SPDR S&P 500 ETF Trust", board: "nyse", listed: "1993-01-29" },
  { code: "BRK-B", exchange: "US", name: "Berkshire Hathaway Inc. Class B", board: "nyse", listed: "1996-05-09" },
  { code: "JPM", exchange: "US", name: "JPMorgan Chase & Co.", board: "nyse", listed: "1990-01-02" },
  { code: "JNJ", exchange: "US", name: "Johnson & Johnson", board: "nyse", listed: "1990-01-02" },
  { code: "WMT", exchange: "US", name: "Walmart Inc.", board: "nyse", listed: "1990-01-02" },
  { code: "PG", exchange: "US", name: "The Procter & Gamble Company", board: "nyse", listed: "1990-01-02" },
  { code: "XOM", exchange: "US", name: "Exxon Mobil Corporation", board: "nyse", listed: "1990-01-02" },
  { code: "KO", exchange: "US", name: "The Coca-Cola Company", board: "nyse", listed: "1990-01-02" },
  { code: "PEP", exchange: "US", name: "PepsiCo, Inc.", board: "nasdaq", listed: "1990-01-02" },
  { code: "DIS", exchange: "US", name: "The Walt Disney Company", board: "nyse", listed: "1990-01-02" },
  { code: "INTC", exchange: "US", name: "Intel Corporation", board: "nasdaq", listed: "1990-01-02" },
  { code: "CSCO", exchange: "US", name: "Cisco Systems, Inc.", board: "nasdaq", listed: "1990-02-16" },
  { code: "ORCL", exchange: "US", name: "Oracle Corporation", board: "nyse", listed: "1990-01-02" },
  { code: "IBM", exchange: "US", name: "International Business Machines Corporation", board: "nyse", listed: "1990-01-02" },
  { code: "AMD", exchange: "US", name: "Advanced Micro Devices, Inc.", board: "nasdaq", listed: "1990-01-02" }
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
    out.set(`${k.code}.${k.exchange}`, makeInstrument(k.code, k.exchange, k.name, k.board, k.listed))
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

export const simulatedInstrument = (symbol: string): Instrument | undefined => {
  bySymbol ??= new Map(simulatedUniverse().map((i) => [i.symbol, i]))
  return bySymbol.get(symbol)
}
