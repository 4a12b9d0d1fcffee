import { Schema } from "effect"
import { DateString } from "./CalendarDate.ts"
import { Adjust, Interval } from "./Interval.ts"
import { Symbol } from "./Symbol.ts"

export const IndicatorName = Schema.Literals(["sma", "ema", "macd", "rsi", "boll"])
export type IndicatorName = typeof IndicatorName.Type

export const IndicatorPoint = Schema.Struct({
  date: DateString,
  values: Schema.Record(Schema.String, Schema.NullOr(Schema.Finite)).annotate({
    description: "sma/ema/rsi: {value}; macd: {macd, signal, histogram}; boll: {upper, middle, lower}; null before enough history"
  })
}).annotate({ identifier: "IndicatorPoint" })
export type IndicatorPoint = typeof IndicatorPoint.Type

export const IndicatorSeries = Schema.Struct({
  symbol: Symbol,
  name: IndicatorName,
  params: Schema.Record(Schema.String, Schema.Finite),
  interval: Interval,
  adjust: Adjust,
  from: DateString,
  to: DateString,
  points: Schema.Array(IndicatorPoint)
}).annotate({ identifier: "IndicatorSeries" })
export type IndicatorSeries = typeof IndicatorSeries.Type

/** Default parameters, and how many bars of history each needs before its first value. */
export const indicatorDefaults: Record<IndicatorName, { readonly period: number }> = {
  sma: { period: 20 },
  ema: { period: 20 },
  rsi: { period: 14 },
  boll: { period: 20 },
  macd: { period: 26 }
}
