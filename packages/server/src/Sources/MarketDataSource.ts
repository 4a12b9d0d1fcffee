import type { Ohlcv } from "@marketgate/domain/Bar"
import type { IsoDate } from "@marketgate/domain/CalendarDate"
import type { Instrument } from "@marketgate/domain/Instrument"
import type { IntradayInterval } from "@marketgate/domain/Interval"
import type { Quote } from "@marketgate/domain/Quote"
import type { Market, Symbol } from "@marketgate/domain/Symbol"
import { Context, Data, type Duration, type Effect } from "effect"

/** A daily bar as traded (no adjustment), volume in shares. */
export interface SourceDailyBar extends Ohlcv {
  readonly date: IsoDate
}

/**
 * A corporate action that changes the price scale: a split (or A-share bonus
 * issue) `numerator:denominator` (4:1 turns one share into four), or a cash
 * dividend per share. Effective before the open of `exDate`.
 */
export type CorporateAction =
  | { readonly kind: "split"; readonly exDate: IsoDate; readonly numerator: number; readonly denominator: number }
  | { readonly kind: "dividend"; readonly exDate: IsoDate; readonly amount: number }

/**
 * Daily bars of the sessions in a range the provider has (suspended sessions
 * are absent), and the corporate actions it knows with an ex-date in that range.
 */
export interface SourceDailyBars {
  readonly bars: ReadonlyArray<SourceDailyBar>
  readonly actions: ReadonlyArray<CorporateAction>
  /** The provider that answered, when a router chose it (lineage of the stored bars). */
  readonly source?: string | undefined
}

export interface SourceIntradayBar extends Ohlcv {
  /** Bar opening instant, epoch ms. */
  readonly ts: number
  readonly date: IsoDate
}

export type Operation = "instruments" | "dailyBars" | "intradayBars" | "quotes"

/** What a provider can answer: the router never asks it anything else. */
export interface Capabilities {
  readonly operations: ReadonlySet<Operation>
  readonly markets: ReadonlySet<Market>
}

/**
 * Why a provider did not answer. `CircuitOpen` and `Throttled` are our own
 * refusals (its breaker is open; our rate limit for it is spent or it asked us
 * to back off) and mean the call was never made.
 */
export type SourceFailureReason =
  | "Unavailable"
  | "Timeout"
  | "RateLimited"
  | "BadResponse"
  | "NotFound"
  | "Unsupported"
  | "CircuitOpen"
  | "Throttled"

/** A provider could not answer; `retryable` says whether asking again may help. */
export class SourceError extends Data.TaggedError("SourceError")<{
  readonly source: string
  readonly operation: string
  readonly reason: SourceFailureReason
  readonly message: string
  readonly retryable: boolean
  /** HTTP status of the provider's answer, when there was one. */
  readonly status?: number | undefined
  /** The provider's `Retry-After`, when it asked us to back off. */
  readonly retryAfter?: Duration.Duration | undefined
}> {}

/**
 * An upstream market-data provider. Every provider (simulated, Yahoo,
 * Eastmoney …) and the router that chooses between them implement this.
 */
export class MarketDataSource extends Context.Service<MarketDataSource, {
  readonly name: string
  readonly capabilities: Capabilities
  readonly instruments: Effect.Effect<ReadonlyArray<Instrument>, SourceError>
  readonly dailyBars: (symbol: Symbol, from: IsoDate, to: IsoDate) => Effect.Effect<SourceDailyBars, SourceError>
  readonly intradayBars: (
    symbol: Symbol,
    interval: IntradayInterval,
    from: IsoDate,
    to: IsoDate
  ) => Effect.Effect<ReadonlyArray<SourceIntradayBar>, SourceError>
  readonly quotes: (symbols: ReadonlyArray<Symbol>) => Effect.Effect<ReadonlyArray<Quote>, SourceError>
}>()("@marketgate/server/Sources/MarketDataSource") {}

export const allOperations: ReadonlySet<Operation> = new Set(["instruments", "dailyBars", "intradayBars", "quotes"])

/** The failure a provider gives for an operation it does not offer. */
export const unsupported = (source: string, operation: Operation) =>
  new SourceError({
    source,
    operation,
    reason: "Unsupported",
    message: `${source} does not offer ${operation}`,
    retryable: false
  })
