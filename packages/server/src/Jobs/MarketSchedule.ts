import type { Market } from "@marketgate/domain/Symbol"
import { Clock, Config, Effect, Layer } from "effect"
import { TradingCalendars } from "../Calendar/TradingCalendars.ts"
import { DailySync } from "./DailySync.ts"
import { IntradayRefresh } from "./IntradayRefresh.ts"
import { ListingRefresh } from "./ListingRefresh.ts"
import { Prewarm } from "./Prewarm.ts"
import { Retention } from "./Retention.ts"
import { type ScheduledJob, Scheduler } from "./Scheduler.ts"

/** Each market's clock: the exchange time zone and a calendar to tell session days. */
const markets: ReadonlyArray<{ readonly market: Market; readonly timeZone: string; readonly dailySync: string; readonly intraday: string }> = [
  // SH/SZ close 15:00; providers have the day's bars well within the hour.
  { market: "CN", timeZone: "Asia/Shanghai", dailySync: "0 16 * * 1-5", intraday: "*/5 9-15 * * 1-5" },
  // NYSE closes 16:00 (13:00 on early-close days); consolidated bars settle by ~17:00.
  { market: "US", timeZone: "America/New_York", dailySync: "30 17 * * 1-5", intraday: "*/5 9-16 * * 1-5" }
]

/**
 * The jobs marketgate schedules, in exchange time: daily sync after each
 * market's close, intraday refresh every 5 minutes during its session,
 * cache prewarm at 09:00 local, before its open (09:30 both), retention nightly (UTC),
 * and the listings at 01:00 UTC (09:00 in Shanghai, before the open; the US
 * directory of the previous day is final by then).
 * Weekday crons run on holidays too; the jobs skip days that are not sessions.
 */
export const marketJobs = Effect.gen(function*() {
  const dailySync = yield* DailySync
  const intraday = yield* IntradayRefresh
  const retention = yield* Retention
  const prewarm = yield* Prewarm
  const listings = yield* ListingRefresh
  const calendars = yield* TradingCalendars
  const onSessionDays = (market: Market, job: Effect.Effect<unknown>) =>
    Effect.gen(function*() {
      const calendar = calendars.of(market === "US" ? "US" : "SH")
      const now = yield* Clock.currentTimeMillis
      if (calendar.isSessionDay(calendar.localDayAt(now))) yield* job
    })
  return markets.flatMap(({ dailySync: syncCron, intraday: intradayCron, market, timeZone }): Array<ScheduledJob> => [
    { name: `daily_sync:${market}`, expression: syncCron, timeZone, run: onSessionDays(market, dailySync.run(market, "schedule")) },
    { name: `intraday_refresh:${market}`, expression: intradayCron, timeZone, run: intraday.run(market, "schedule") },
    { name: `prewarm:${market}`, expression: "0 9 * * 1-5", timeZone, run: onSessionDays(market, prewarm.run(market, "schedule")) }
  ]).concat([
    { name: "retention", expression: "30 3 * * *", timeZone: "UTC", run: retention.run("schedule") },
    { name: "listing_refresh", expression: "0 1 * * *", timeZone: "UTC", run: listings.run("schedule") }
  ])
})

/** The market schedule, unless `SCHEDULER_ENABLED=false` (then no job runs by itself). */
export const layerConfig = Layer.unwrap(
  Effect.gen(function*() {
    const enabled = yield* Config.Boolean("SCHEDULER_ENABLED").pipe(Config.withDefault(true))
    if (!enabled) return Scheduler.layerNone
    return Layer.unwrap(Effect.map(marketJobs, Scheduler.layer))
  })
)
