import { DataUnavailable, InvalidRequest, NoData } from "@marketgate/domain/ApiErrors"
import { MoneyFlowRanking } from "@marketgate/domain/MoneyFlow"
import type { Market } from "@marketgate/domain/Symbol"
import { Clock, Context, Effect, Layer } from "effect"
import { codecOf } from "../Cache/CacheEntry.ts"
import { MarketCache } from "../Cache/MarketCache.ts"
import { DataWorld } from "../Sources/DataWorld.ts"
import { MarketDataSource } from "../Sources/MarketDataSource.ts"

const rankingCodec = codecOf(MoneyFlowRanking)

/** Default and largest `limit`: the provider's ranking page holds 50 rows. */
export const DEFAULT_MONEY_FLOW_LIMIT = 20
export const MAX_MONEY_FLOW_LIMIT = 50

/** The sentence the demo world answers with (also shown by the web app). */
export const demoRefusal =
  "money flow needs a real provider (eastmoney): the demo world (SOURCES=simulated) has no order flow, and marketgate does not make figures up"

/**
 * A market's largest main-force net inflows (资金流向), from the provider's
 * ranking. Cached briefly under the `overview` cache kind (key `moneyflow:CN`),
 * with single flight, so many dashboards cost one upstream page.
 */
export class MoneyFlow extends Context.Service<MoneyFlow, {
  readonly top: (market: Market, limit: number) => Effect.Effect<MoneyFlowRanking, InvalidRequest | NoData | DataUnavailable>
}>()("@marketgate/server/MarketData/MoneyFlow") {
  static readonly layer = Layer.effect(
    MoneyFlow,
    Effect.gen(function*() {
      const source = yield* MarketDataSource
      const cache = yield* MarketCache
      const { world } = yield* DataWorld

      const compute = (market: Market) =>
        Effect.gen(function*() {
          const top = yield* source.moneyFlow(market).pipe(
            Effect.mapError((e): NoData | DataUnavailable =>
              e.reason === "Unsupported"
                ? new NoData({ message: "no configured provider offers money flow; add eastmoney to SOURCES" })
                : e.reason === "NotFound"
                ? new NoData({ message: `the provider has no money-flow ranking of ${market} now (${e.message})` })
                : new DataUnavailable({ message: `the ${market} money-flow ranking could not be fetched (${e.message}); try again shortly` })
            )
          )
          const now = yield* Clock.currentTimeMillis
          return {
            market,
            as_of: new Date(now).toISOString(),
            source: top.source ?? source.name,
            ranked: top.ranked,
            entries: top.entries
          } satisfies MoneyFlowRanking
        })

      return MoneyFlow.of({
        top: Effect.fn("MoneyFlow.top")(function*(market: Market, limit: number) {
          if (market !== "CN") {
            return yield* new InvalidRequest({ message: "money flow is offered for A-shares only: ask with market=CN" })
          }
          if (world === "demo") return yield* new NoData({ message: demoRefusal })
          const ranking = yield* cache.getOrLoad({ kind: "overview", key: `moneyflow:${market}`, codec: rankingCodec }, compute(market))
          return { ...ranking, entries: ranking.entries.slice(0, limit) }
        })
      })
    })
  )
}
