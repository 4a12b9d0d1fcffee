import { type Instrument, makeInstrument } from "./Instrument.ts"
import type { Market } from "./Symbol.ts"

/**
 * The market indices every catalog holds. A-share indices keep their exchange
 * codes (the SSE Composite is 000001.SH, while 000001.SZ is Ping An Bank: the
 * exchange tells them apart, as Eastmoney's secids 1.000001 and 0.000001 do);
 * US indices keep Yahoo's caret. `listed_date` is the index's launch date.
 */
export const marketIndices: ReadonlyArray<Instrument> = [
  makeInstrument("000001", "SH", "上证指数", "index", "1991-07-15"),
  makeInstrument("399001", "SZ", "深证成指", "index", "1995-01-23"),
  makeInstrument("000300", "SH", "沪深300", "index", "2005-04-08"),
  makeInstrument("399006", "SZ", "创业板指", "index", "2010-06-01"),
  makeInstrument("000688", "SH", "科创50", "index", "2020-07-23"),
  makeInstrument("^GSPC", "US", "S&P 500", "index", "1957-03-04"),
  makeInstrument("^IXIC", "US", "NASDAQ Composite", "index", "1971-02-05"),
  makeInstrument("^DJI", "US", "Dow Jones Industrial Average", "index", "1896-05-26")
]

/** The indices an overview of `market` shows, in display order. */
export const indicesOf = (market: Market): ReadonlyArray<Instrument> => marketIndices.filter((i) => i.market === market)
