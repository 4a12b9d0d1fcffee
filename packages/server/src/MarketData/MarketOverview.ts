import { DataUnavailable } from "@marketgate/domain/ApiErrors"
import { isWeekend } from "@marketgate/domain/CalendarDate"
import { indicesOf } from "@marketgate/domain/Indices"
import { MarketOverview, type MarketStatus } from "@marketgate/domain/MarketOverview"
import type { Market, Symbol } from "@marketgate/domain/Symbol"
import { Clock, Context, Effect, Layer } from "effect"
import { codecOf } from "../Cache/CacheEntry.ts"
import { MarketCache } from "../Cache/MarketCache.ts"
import { TradingCalendars } from "../Calendar/TradingCalendars.ts"
import { MarketDataSource } from "../Sources/MarketDataSource.ts"
import { overviewFigures } from "./OverviewFigures.ts"

const overviewCodec = codecOf(MarketOverview)

/**
 * One market at a glance: its indices, breadth, limit up and down, turnover
 * and top movers from a full-market snapshot, and where its session stands.
 * Cached briefly (the `overview` cache kind) with single flight, so many
 * dashboards cost one snapshot.
 */
export class Overview extends Context.Service<Overview, {
  readonly of: (market: Market) => Effect.Effect<MarketOverview, DataUnavailable>
}>()("@marketgate/server/MarketData/Overview") {
  static readonly layer = Layer.effect(
    Overview,
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const calendars = yield* TradingCalendars
      const cache = yield* MarketCache

      const statusAt = (market: Market, now: number): MarketStatus => {
        const calendar = calendars.of(market === "US" ? "US" : "SH")
        const today = calendar.localDayAt(now)
        if (!calendar.isSessionDay(today)) return isWeekend(today) ? "closed" : "holiday"
        return calendar.phaseAt(now).phase
      }

      const compute = (market: Market) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const indexSymbols = indicesOf(market).map((i) => i.symbol as Symbol)
          const [indices, snapshot] = yield* Effect.all([
            Effect.result(source.quotes(indexSymbols)),
            Effect.result(source.snapshot(market))
          ], { concurrency: 2 })
          // No provider offers a snapshot of this market: the overview says so (breadth null), it is no outage.
          const noSnapshot = snapshot._tag === "Failure" && snapshot.failure.reason === "Unsupported"
          if (snapshot._tag === "Failure" && !noSnapshot) {
            return yield* new DataUnavailable({
              message: `the ${market} market snapshot could not be fetched (${snapshot.failure.message}); try again shortly`
            })
          }
          const quotes = indices._tag === "Success" ? indices.success : []
          const order = new Map(indexSymbols.map((s, i) => [s as string, i]))
          const figures = snapshot._tag === "Success" ? overviewFigures(snapshot.success.quotes) : undefined
          return {
            market,
            as_of: new Date(now).toISOString(),
            status: statusAt(market, now),
            indices: [...quotes].sort((a, b) => order.get(a.symbol)! - order.get(b.symbol)!),
            breadth: figures?.breadth ?? null,
            turnover: figures?.turnover ?? null,
            top_gainers: figures?.top_gainers ?? [],
            top_losers: figures?.top_losers ?? [],
            most_active: figures?.most_active ?? [],
            snapshot: snapshot._tag === "Success"
              ? { source: snapshot.success.source ?? source.name, instruments: snapshot.success.quotes.length, expected: snapshot.success.expected }
              : null
          } satisfies MarketOverview
        })

      return Overview.of({
        of: Effect.fn("Overview.of")(function*(market: Market) {
          return yield* cache.getOrLoad({ kind: "overview", key: market, codec: overviewCodec }, compute(market))
        })
      })
    })
  )
}
