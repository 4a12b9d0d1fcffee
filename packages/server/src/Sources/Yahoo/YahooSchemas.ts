import { Schema } from "effect"

/** The shapes of Yahoo's v8 chart and v7 quote answers this adapter reads; other keys are ignored. */

const Positive = Schema.Finite.check(Schema.isGreaterThan(0))
const Series = Schema.Array(Schema.NullOr(Schema.Finite))

const ChartQuote = Schema.Struct({
  open: Schema.optionalKey(Series),
  high: Schema.optionalKey(Series),
  low: Schema.optionalKey(Series),
  close: Schema.optionalKey(Series),
  volume: Schema.optionalKey(Series)
})

export const Split = Schema.Struct({ date: Schema.Finite, numerator: Positive, denominator: Positive })
export type Split = typeof Split.Type

export const Dividend = Schema.Struct({ date: Schema.Finite, amount: Schema.Finite })
export type Dividend = typeof Dividend.Type

export const ChartResult = Schema.Struct({
  meta: Schema.Struct({
    symbol: Schema.String,
    exchangeTimezoneName: Schema.optionalKey(Schema.String)
  }),
  /** Bar instants, unix seconds; absent when the range holds no bars. */
  timestamp: Schema.optionalKey(Schema.Array(Schema.Finite)),
  events: Schema.optionalKey(Schema.Struct({
    splits: Schema.optionalKey(Schema.Record(Schema.String, Split)),
    dividends: Schema.optionalKey(Schema.Record(Schema.String, Dividend))
  })),
  indicators: Schema.Struct({ quote: Schema.Array(ChartQuote) })
})
export type ChartResult = typeof ChartResult.Type

const YahooError = Schema.Struct({ code: Schema.String, description: Schema.optionalKey(Schema.NullOr(Schema.String)) })

export const ChartResponse = Schema.Struct({
  chart: Schema.Struct({
    result: Schema.optionalKey(Schema.NullOr(Schema.Array(ChartResult))),
    error: Schema.optionalKey(Schema.NullOr(YahooError))
  })
})

/** The list is decoded entry by entry, so one bad entry names its symbol. */
export const QuoteResponse = Schema.Struct({
  quoteResponse: Schema.Struct({
    result: Schema.optionalKey(Schema.NullOr(Schema.Array(Schema.Unknown))),
    error: Schema.optionalKey(Schema.NullOr(YahooError))
  })
})

/** What discovery reads of an entry: a name, what it is, where it lists, since when. */
export const YahooDescription = Schema.Struct({
  symbol: Schema.String,
  longName: Schema.optionalKey(Schema.String),
  shortName: Schema.optionalKey(Schema.String),
  quoteType: Schema.String,
  exchange: Schema.optionalKey(Schema.String),
  firstTradeDateMilliseconds: Schema.optionalKey(Schema.Finite)
})
export type YahooDescription = typeof YahooDescription.Type

/** Enough of an entry to know whose it is: `quoteType: "NONE"` marks a symbol Yahoo has no data for. */
export const QuoteStub = Schema.Struct({ symbol: Schema.String, quoteType: Schema.optionalKey(Schema.String) })

export const YahooQuote = Schema.Struct({
  symbol: Schema.String,
  longName: Schema.optionalKey(Schema.String),
  shortName: Schema.optionalKey(Schema.String),
  marketState: Schema.String,
  regularMarketPrice: Schema.Finite,
  regularMarketOpen: Schema.Finite,
  regularMarketDayHigh: Schema.Finite,
  regularMarketDayLow: Schema.Finite,
  regularMarketPreviousClose: Schema.Finite,
  regularMarketChange: Schema.Finite,
  regularMarketChangePercent: Schema.Finite,
  regularMarketVolume: Schema.Finite,
  /** Unix seconds. */
  regularMarketTime: Schema.Finite
})
export type YahooQuote = typeof YahooQuote.Type
