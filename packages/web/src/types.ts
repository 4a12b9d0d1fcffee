/**
 * The API's shapes, taken from the domain package (types only: nothing of it
 * is loaded in the browser), plus the market overview of issue 14.
 */
import type { BarLineage } from "@marketgate/domain/Lineage"
import type { BarSeries, Bar } from "@marketgate/domain/Bar"
import type { IndicatorSeries } from "@marketgate/domain/Indicator"
import type { Instrument, InstrumentPage } from "@marketgate/domain/Instrument"
import type { Quote } from "@marketgate/domain/Quote"
import type { Principal } from "@marketgate/domain/Auth"

export type { Bar, BarLineage, BarSeries, IndicatorSeries, Instrument, InstrumentPage, Principal, Quote }

export type Market = "CN" | "US"
export type Interval = "1m" | "5m" | "15m" | "30m" | "60m" | "1d" | "1w" | "1M"
export type Adjust = "none" | "qfq" | "hfq"

export const intervals: ReadonlyArray<Interval> = ["1m", "5m", "15m", "30m", "60m", "1d", "1w", "1M"]
export const isIntraday = (i: Interval) => i.endsWith("m")

export type MarketStatus = "pre_open" | "open" | "lunch_break" | "closed" | "holiday"

/** `GET /v1/market/overview?market=` (issue 14). */
export interface MarketOverview {
  readonly market: Market
  readonly as_of: string
  readonly status: MarketStatus
  readonly indices: ReadonlyArray<Quote>
  readonly breadth: {
    readonly advancers: number
    readonly decliners: number
    readonly unchanged: number
    readonly limit_up: number
    readonly limit_down: number
    readonly total: number
  }
  readonly turnover: number
  readonly top_gainers: ReadonlyArray<Quote>
  readonly top_losers: ReadonlyArray<Quote>
  readonly most_active: ReadonlyArray<Quote>
}

export const marketOf = (symbol: string): Market => (symbol.endsWith(".US") ? "US" : "CN")

export const timeZoneOf = (market: Market) => (market === "US" ? "America/New_York" : "Asia/Shanghai")

/** Indicator values by bar date (the API computes them on daily, weekly and monthly bars only). */
export interface Indicators {
  readonly ma5: ReadonlyMap<string, number | null>
  readonly ma10: ReadonlyMap<string, number | null>
  readonly ma20: ReadonlyMap<string, number | null>
  readonly boll: ReadonlyMap<string, { readonly upper: number | null; readonly middle: number | null; readonly lower: number | null }>
  readonly macd: ReadonlyMap<string, { readonly macd: number | null; readonly signal: number | null; readonly histogram: number | null }>
  readonly rsi: ReadonlyMap<string, number | null>
}
