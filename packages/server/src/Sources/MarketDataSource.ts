import type { Ohlcv } from "@marketgate/domain/Bar"
import type { IsoDate } from "@marketgate/domain/CalendarDate"
import type { Instrument } from "@marketgate/domain/Instrument"
import type { MoneyFlowEntry } from "@marketgate/domain/MoneyFlow"
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

/** A source's listing of its markets; `complete` is false when it could not read all of it. */
export interface InstrumentListing {
  readonly instruments: ReadonlyArray<Instrument>
  readonly complete: boolean
}

/** Quotes of a whole market; `expected` is how many the provider said it has (more than `quotes` when cut short). */
export interface MarketSnapshot {
  readonly quotes: ReadonlyArray<Quote>
  readonly expected: number
  /** The provider that answered, when a router chose it. */
  readonly source?: string | undefined
}

/** A market's largest main-force net inflows, largest first; `ranked` is how many listings the provider ranked. */
export interface MoneyFlowTop {
  readonly entries: ReadonlyArray<MoneyFlowEntry>
  readonly ranked: number
  /** The provider that answered, when a router chose it. */
  readonly source?: string | undefined
}

export interface SourceIntradayBar extends Ohlcv {
  /** Bar opening instant, epoch ms. */
  readonly ts: number
  readonly date: IsoDate
}

/**
 * `instruments`: the source's full listing of its markets; `instrument`: confirm
 * one symbol (discovery); `snapshot`: quotes of a whole market at once;
 * `moneyFlow`: the market's money-flow ranking (real providers only: Eastmoney).
 */
export type Operation = "instruments" | "instrument" | "dailyBars" | "intradayBars" | "quotes" | "snapshot" | "moneyFlow"

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
  readonly instruments: Effect.Effect<InstrumentListing, SourceError>
  /** The instrument behind a symbol, confirmed by the provider; NotFound when it lists none. */
  readonly instrument: (symbol: Symbol) => Effect.Effect<Instrument, SourceError>
  readonly dailyBars: (symbol: Symbol, from: IsoDate, to: IsoDate) => Effect.Effect<SourceDailyBars, SourceError>
  readonly intradayBars: (
    symbol: Symbol,
    interval: IntradayInterval,
    from: IsoDate,
    to: IsoDate
  ) => Effect.Effect<ReadonlyArray<SourceIntradayBar>, SourceError>
  /** Quotes of the symbols the provider knows; the ones it does not are absent (NotFound when none is known). */
  readonly quotes: (symbols: ReadonlyArray<Symbol>) => Effect.Effect<ReadonlyArray<Quote>, SourceError>
  /** Every listed stock and ETF of a market in one answer (indices excluded): breadth and movers. */
  readonly snapshot: (market: Market) => Effect.Effect<MarketSnapshot, SourceError>
  /** The largest main-force net inflows of a market (资金流向), one page of the provider's ranking. */
  readonly moneyFlow: (market: Market) => Effect.Effect<MoneyFlowTop, SourceError>
}>()("@marketgate/server/Sources/MarketDataSource") {}

/** The operations of a provider that serves every kind of price data (money flow is not one: it needs order flow). */
export const allOperations: ReadonlySet<Operation> = new Set([
  "instruments",
  "instrument",
  "dailyBars",
  "intradayBars",
  "quotes",
  "snapshot"
])

/** Operations that page through a whole market: they get the listing timeout and budget. */
export const isBulk = (operation: Operation) => operation === "instruments" || operation === "snapshot"

/** The failure a provider gives for an operation it does not offer. */
export const unsupported = (source: string, operation: Operation) =>
  new SourceError({
    source,
    operation,
    reason: "Unsupported",
    message: `${source} does not offer ${operation}`,
    retryable: false
  })
