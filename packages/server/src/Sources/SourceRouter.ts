import type { Instrument } from "@marketgate/domain/Instrument"
import type { Quote } from "@marketgate/domain/Quote"
import { exchangeOf, type Market, marketOf, type Symbol } from "@marketgate/domain/Symbol"
import { Clock, Context, Duration, Effect, Exit, Layer, type Result } from "effect"
import {
  type Capabilities,
  type InstrumentListing,
  isBulk,
  MarketDataSource,
  type Operation,
  SourceError,
  type SourceDailyBars
} from "./MarketDataSource.ts"
import type { SourceHealth } from "@marketgate/domain/SourceHealth"
import type { GuardedSource } from "./Resilience/GuardedSource.ts"

export interface RouterOptions {
  /** How long one request may spend across all providers it tries. */
  readonly budget: Duration.Duration
  /** The same for a listing or a full-market snapshot, which page through a whole market (default 2 minutes). */
  readonly listingBudget?: Duration.Duration | undefined
}

/** One listing source's answer: its listing of `markets`, or why it has none. */
export interface Listing {
  readonly source: string
  readonly markets: ReadonlySet<Market>
  readonly result: Result.Result<InstrumentListing, SourceError>
}

/**
 * A provider's score for the next call; higher is better. Configured priority
 * dominates (100 points per place in `SOURCES`) unless the provider is
 * failing (error rate costs up to 500) or slow (1 point per 10 ms of latency
 * EWMA, up to 500), and cheaper providers win ties (50 per unit of cost).
 * The error rate counts ten imaginary successes, so one unlucky call does not
 * demote a provider: its breaker, not the score, reacts to a burst of failures.
 */
export const score = (
  priority: number,
  recent: { readonly failures: number; readonly calls: number },
  latencyEwmaMs: number | undefined,
  cost: number
) =>
  -100 * priority - (500 * recent.failures) / (recent.calls + 10) - Math.min(latencyEwmaMs ?? 0, 5000) / 10 -
  50 * cost

const marketOfSymbol = (symbol: Symbol): Market => marketOf(exchangeOf(symbol))

const can = (capabilities: Capabilities, operation: Operation, market: Market | undefined) =>
  capabilities.operations.has(operation) && (market === undefined || capabilities.markets.has(market))

/**
 * Chooses a provider per call by score, among those that can serve the
 * operation for the market, and fails over to the next on failure while the
 * request's time budget lasts. It is itself a `MarketDataSource`, so the read
 * path does not know how many providers stand behind it.
 */
export class SourceRouter extends Context.Service<SourceRouter, {
  readonly health: Effect.Effect<ReadonlyArray<SourceHealth>>
  /** The providers in the order the next call for (operation, market) would try them. */
  readonly plan: (operation: Operation, market: Market | undefined) => Effect.Effect<ReadonlyArray<string>>
  /** Daily bars from any provider but the excluded ones (e.g. those whose bars failed a quality rule). */
  readonly dailyBarsExcluding: (
    symbol: Symbol,
    from: string,
    to: string,
    exclude: ReadonlyArray<string>
  ) => Effect.Effect<SourceDailyBars, SourceError>
  /**
   * Every provider that lists instruments, asked side by side: the catalog
   * needs each one's answer on its own (a listing that failed must not look
   * like every symbol of its market delisted).
   */
  readonly listings: Effect.Effect<ReadonlyArray<Listing>>
}>()("@marketgate/server/Sources/SourceRouter") {
  static readonly make = (sources: ReadonlyArray<GuardedSource>, options: RouterOptions) =>
    Effect.gen(function*() {
      const ordered = (operation: Operation, market: Market | undefined, exclude: ReadonlyArray<string> = []) =>
        Effect.gen(function*() {
          const capable = sources.filter((g) =>
            can(g.source.capabilities, operation, market) && !exclude.includes(g.source.name)
          )
          const rated = yield* Effect.forEach(capable, (g) =>
            Effect.gen(function*() {
              const available = yield* g.available
              const probing = available && (yield* g.probing)
              const s = score(g.settings.priority, yield* g.recent, yield* g.latencyEwmaMs, g.settings.cost)
              // Providers whose breaker is open or who asked us to back off go last: they
              // refuse at once, and are only reached when nothing else answered. One whose
              // open time is over goes first: this call is its probe (a failed probe only
              // costs a failover), and only a probe can close its breaker again.
              return { g, rank: probing ? 2 : available ? 1 : 0, s }
            }))
          return rated.sort((a, b) => (a.rank === b.rank ? b.s - a.s : b.rank - a.rank)).map((r) => r.g)
        })

      const route = <A>(
        operation: Operation,
        market: Market | undefined,
        call: (source: MarketDataSource["Service"]) => Effect.Effect<A, SourceError>,
        exclude: ReadonlyArray<string> = []
      ): Effect.Effect<readonly [A, string], SourceError> =>
        Effect.gen(function*() {
          const candidates = yield* ordered(operation, market, exclude)
          if (candidates.length === 0) {
            return yield* new SourceError({
              source: "router",
              operation,
              reason: "Unsupported",
              message: `no configured provider offers ${operation}${market === undefined ? "" : ` for ${market}`}`,
              retryable: false
            })
          }
          const budget = isBulk(operation) ? options.listingBudget ?? Duration.minutes(2) : options.budget
          const deadline = (yield* Clock.currentTimeMillis) + Duration.toMillis(budget)
          const failures: Array<SourceError> = []
          for (const g of candidates) {
            const remaining = deadline - (yield* Clock.currentTimeMillis)
            if (remaining <= 0) break
            const exit = yield* Effect.exit(
              call(g.source).pipe(
                Effect.timeoutOrElse({
                  duration: Duration.millis(remaining),
                  orElse: () =>
                    Effect.fail(
                      new SourceError({
                        source: g.source.name,
                        operation,
                        reason: "Timeout",
                        message: "the request's time budget ran out",
                        retryable: false
                      })
                    )
                })
              )
            )
            if (Exit.isSuccess(exit)) {
              if (failures.length > 0) {
                yield* Effect.logInfo(`served by ${g.source.name} after failover`).pipe(
                  Effect.annotateLogs({ operation, failed: failures.map((f) => `${f.source}: ${f.reason}`).join("; ") })
                )
              }
              return [exit.value, g.source.name] as const
            }
            const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
            if (failure === undefined) return yield* Effect.failCause(exit.cause)
            failures.push(failure.error)
          }
          // Every provider said "no such symbol": that is the answer, not an outage.
          if (failures.length > 0 && failures.every((f) => f.reason === "NotFound")) return yield* failures[0]!
          return yield* new SourceError({
            source: "router",
            operation,
            reason: "Unavailable",
            message: failures.length === 0
              ? "the request's time budget ran out before any provider was asked"
              : `no provider could answer (${failures.map((f) => `${f.source}: ${f.message}`).join("; ")})`,
            retryable: failures.some((f) => f.retryable)
          })
        }).pipe(Effect.withSpan("SourceRouter.route", { attributes: { operation, market } }))

      /**
       * Quotes of one market: the providers in order, each asked only for the
       * symbols the ones before it did not have, until all are found or the
       * budget is spent. Fails only when none is found.
       */
      const marketQuotes = (market: Market, symbols: ReadonlyArray<Symbol>) =>
        Effect.gen(function*() {
          const found = new Map<string, Quote>()
          const [first, answered] = yield* route("quotes", market, (s) => s.quotes(symbols))
          for (const q of first) found.set(q.symbol, q)
          const remaining = symbols.filter((s) => !found.has(s))
          if (remaining.length > 0) {
            const second = yield* Effect.result(route("quotes", market, (s) => s.quotes(remaining), [answered]))
            if (second._tag === "Success") for (const q of second.success[0]) found.set(q.symbol, q)
          }
          return symbols.flatMap((s) => found.get(s) ?? [])
        })

      const noLister = new SourceError({
        source: "router",
        operation: "instruments",
        reason: "Unsupported",
        message: "no configured provider lists instruments",
        retryable: false
      })

      const listings: Effect.Effect<ReadonlyArray<Listing>> = Effect.forEach(
        sources.filter((g) => g.source.capabilities.operations.has("instruments")),
        (g) =>
          Effect.map(Effect.result(g.source.instruments), (result): Listing => ({
            source: g.source.name,
            markets: g.source.capabilities.markets,
            result
          })),
        { concurrency: "unbounded" }
      ).pipe(Effect.withSpan("SourceRouter.listings"))

      const source = MarketDataSource.of({
        name: "router",
        capabilities: {
          operations: new Set(sources.flatMap((g) => [...g.source.capabilities.operations])),
          markets: new Set(sources.flatMap((g) => [...g.source.capabilities.markets]))
        },
        instruments: Effect.gen(function*() {
          // Every provider that lists instruments contributes; the first in priority wins a duplicate.
          const answers = yield* listings
          if (answers.length === 0) return yield* noLister
          const merged = new Map<string, Instrument>()
          let complete = true
          for (const a of answers) {
            if (a.result._tag === "Failure") complete = false
            else {
              complete &&= a.result.success.complete
              for (const i of a.result.success.instruments) if (!merged.has(i.symbol)) merged.set(i.symbol, i)
            }
          }
          const failed = answers.find((a) => a.result._tag === "Failure")
          if (merged.size === 0 && failed !== undefined && failed.result._tag === "Failure") return yield* failed.result.failure
          return { instruments: [...merged.values()], complete }
        }),
        instrument: (symbol) =>
          Effect.map(route("instrument", marketOfSymbol(symbol), (s) => s.instrument(symbol)), ([instrument]) => instrument),
        dailyBars: (symbol, from, to) =>
          Effect.map(
            route("dailyBars", marketOfSymbol(symbol), (s) => s.dailyBars(symbol, from, to)),
            ([bars, source]) => ({ ...bars, source: bars.source ?? source })
          ),
        intradayBars: (symbol, interval, from, to) =>
          Effect.map(
            route("intradayBars", marketOfSymbol(symbol), (s) => s.intradayBars(symbol, interval, from, to)),
            ([bars]) => bars
          ),
        quotes: (symbols) =>
          Effect.gen(function*() {
            // Each market may be served by a different provider (sina has no US quotes).
            const byMarket = new Map<Market, Array<Symbol>>()
            for (const s of symbols) {
              const m = marketOfSymbol(s)
              byMarket.set(m, [...(byMarket.get(m) ?? []), s])
            }
            const parts = yield* Effect.forEach([...byMarket], ([market, list]) => Effect.result(marketQuotes(market, list)), {
              concurrency: "unbounded"
            })
            const found = parts.flatMap((p) => (p._tag === "Success" ? p.success : []))
            const failure = parts.find((p) => p._tag === "Failure")
            // A market whose providers failed is absent; the caller sees which symbols are missing.
            if (found.length === 0 && failure !== undefined && failure._tag === "Failure") return yield* failure.failure
            return found
          }),
        snapshot: (market) =>
          Effect.map(route("snapshot", market, (s) => s.snapshot(market)), ([snapshot, source]) => ({ ...snapshot, source: snapshot.source ?? source })),
        moneyFlow: (market) =>
          Effect.map(route("moneyFlow", market, (s) => s.moneyFlow(market)), ([top, source]) => ({ ...top, source: top.source ?? source }))
      })

      const health = Effect.forEach(sources, (g) => g.health)
      const plan = (operation: Operation, market: Market | undefined) =>
        Effect.map(ordered(operation, market), (gs) => gs.map((g) => g.source.name))

      const dailyBarsExcluding = (symbol: Symbol, from: string, to: string, exclude: ReadonlyArray<string>) =>
        Effect.map(
          route("dailyBars", marketOfSymbol(symbol), (s) => s.dailyBars(symbol, from, to), exclude),
          ([bars, source]) => ({ ...bars, source: bars.source ?? source })
        )

      return { router: SourceRouter.of({ health, plan, dailyBarsExcluding, listings }), source }
    })

  /** Provides the router and, as `MarketDataSource`, its routing source. */
  static readonly layer = <E, R>(sources: Effect.Effect<ReadonlyArray<GuardedSource>, E, R>, options: RouterOptions) =>
    Layer.effectContext(
      Effect.gen(function*() {
        const { router, source } = yield* SourceRouter.make(yield* sources, options)
        return Context.make(SourceRouter, router).pipe(Context.add(MarketDataSource, source))
      })
    )
}
