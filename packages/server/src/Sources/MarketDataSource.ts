import type { DailyBar, Ohlcv } from "@marketgate/domain/Bar"
import type { IsoDate } from "@marketgate/domain/CalendarDate"
import type { Instrument } from "@marketgate/domain/Instrument"
import type { IntradayInterval } from "@marketgate/domain/Interval"
import type { Quote } from "@marketgate/domain/Quote"
import type { Symbol } from "@marketgate/domain/Symbol"
import { Context, Data, type Effect } from "effect"

/**
 * A daily bar as a provider reports it: unadjusted prices, volume in shares,
 * and the cumulative adjustment factor for splits and dividends (1 when none).
 * Providers omit sessions the instrument did not trade.
 */
export type SourceDailyBar = Omit<DailyBar, "suspended">

export interface SourceIntradayBar extends Ohlcv {
  /** Bar opening instant, epoch ms. */
  readonly ts: number
  readonly date: IsoDate
}

export type SourceFailureReason = "Unavailable" | "Timeout" | "RateLimited" | "BadResponse" | "NotFound" | "Unsupported"

/** A provider could not answer; `retryable` says whether asking again may help. */
export class SourceError extends Data.TaggedError("SourceError")<{
  readonly source: string
  readonly operation: string
  readonly reason: SourceFailureReason
  readonly message: string
  readonly retryable: boolean
}> {}

/**
 * An upstream market-data provider. Every provider (simulated, Yahoo,
 * Eastmoney …) and the router that chooses between them implement this.
 */
export class MarketDataSource extends Context.Service<MarketDataSource, {
  readonly name: string
  readonly instruments: Effect.Effect<ReadonlyArray<Instrument>, SourceError>
  /** Bars of the sessions in [from, to] the provider has; suspended sessions are absent. */
  readonly dailyBars: (symbol: Symbol, from: IsoDate, to: IsoDate) => Effect.Effect<ReadonlyArray<SourceDailyBar>, SourceError>
  readonly intradayBars: (
    symbol: Symbol,
    interval: IntradayInterval,
    from: IsoDate,
    to: IsoDate
  ) => Effect.Effect<ReadonlyArray<SourceIntradayBar>, SourceError>
  readonly quotes: (symbols: ReadonlyArray<Symbol>) => Effect.Effect<ReadonlyArray<Quote>, SourceError>
}>()("@marketgate/server/Sources/MarketDataSource") {}
