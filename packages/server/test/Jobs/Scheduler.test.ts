import { assert, describe, it } from "@effect/vitest"
import type { Market } from "@marketgate/domain/Symbol"
import { Clock, Context, Effect, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { TradingCalendars } from "../../src/Calendar/TradingCalendars.ts"
import { DailySync } from "../../src/Jobs/DailySync.ts"
import { IntradayRefresh } from "../../src/Jobs/IntradayRefresh.ts"
import type { JobOutcome } from "../../src/Jobs/JobRunner.ts"
import { marketJobs } from "../../src/Jobs/MarketSchedule.ts"
import { ListingRefresh } from "../../src/Jobs/ListingRefresh.ts"
import { Retention } from "../../src/Jobs/Retention.ts"
import { type ScheduledJob, Scheduler } from "../../src/Jobs/Scheduler.ts"
import { Prewarm } from "../../src/Jobs/Prewarm.ts"

// The scheduler on the TestClock: cron occurrences in exchange time zones,
// weekends and exchange holidays skipped, failures not ending a schedule,
// and nothing running once its scope is closed.

const now = Clock.currentTimeMillis

const finished: JobOutcome = { _tag: "Finished", runId: 1, status: "succeeded", counts: {}, shortfall: undefined }

/** Builds the scheduler in its own scope at `start`, so the first sleep is computed from then. */
const schedulerAt = (start: string, jobs: ReadonlyArray<ScheduledJob>) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(Date.parse(start))
    return yield* Layer.build(Scheduler.layer(jobs))
  })

/** Moves the clock to `until` in steps, letting due jobs run at each occurrence. */
const advanceTo = (until: string) =>
  Effect.gen(function*() {
    const target = Date.parse(until)
    while ((yield* now) < target) {
      yield* TestClock.adjust(Math.min(60_000, target - (yield* now)))
    }
  })


describe("Scheduler", () => {
  it.effect("runs a job at each cron occurrence in its time zone, on weekdays only", () =>
    Effect.scoped(Effect.gen(function*() {
      const ran: Array<string> = []
      const context = yield* schedulerAt("2026-11-20T07:59:00Z", [{
        name: "daily_sync:CN",
        expression: "0 16 * * 1-5",
        timeZone: "Asia/Shanghai",
        run: Effect.flatMap(now, (t) => Effect.sync(() => void ran.push(new Date(t).toISOString())))
      }])
      // Friday 16:00 in Shanghai is 08:00 UTC; the next is Monday, not the weekend.
      yield* advanceTo("2026-11-24T00:00:00Z")
      assert.deepStrictEqual(ran, ["2026-11-20T08:00:00.000Z", "2026-11-23T08:00:00.000Z"])
      const [entry] = yield* Context.get(context, Scheduler).entries
      assert.deepStrictEqual(entry, {
        name: "daily_sync:CN",
        cron: "0 16 * * 1-5",
        timeZone: "Asia/Shanghai",
        nextRun: "2026-11-24T08:00:00.000Z"
      })
    })))

  it.effect("follows New York daylight saving: 17:30 local is 21:30 UTC in October, 22:30 UTC in November", () =>
    Effect.scoped(Effect.gen(function*() {
      const ran: Array<string> = []
      yield* schedulerAt("2026-10-30T12:00:00Z", [{
        name: "daily_sync:US",
        expression: "30 17 * * 1-5",
        timeZone: "America/New_York",
        run: Effect.flatMap(now, (t) => Effect.sync(() => void ran.push(new Date(t).toISOString())))
      }])
      yield* advanceTo("2026-11-03T00:00:00Z")
      assert.deepStrictEqual(ran, ["2026-10-30T21:30:00.000Z", "2026-11-02T22:30:00.000Z"])
    })))

  it.effect("a failing run is logged and the schedule goes on; closing the scope stops it", () =>
    Effect.gen(function*() {
      let attempts = 0
      yield* Effect.scoped(Effect.gen(function*() {
        yield* schedulerAt("2026-11-23T00:00:00Z", [{
          name: "retention",
          expression: "30 3 * * *",
          timeZone: "UTC",
          run: Effect.suspend(() => ++attempts === 1 ? Effect.die(new Error("disk full")) : Effect.void)
        }])
        yield* advanceTo("2026-11-25T04:00:00Z")
        assert.strictEqual(attempts, 3)
      }))
      // The scope is closed: later occurrences do not run.
      yield* TestClock.adjust("3 days")
      assert.strictEqual(attempts, 3)
    }))
})

describe("the market schedule", () => {
  /** Jobs that only record which ran when, so the schedule itself is what is tested. */
  const recording = (calls: Array<string>) => {
    const record = (name: string) => Effect.flatMap(now, (t) => Effect.sync(() => void calls.push(`${name} ${new Date(t).toISOString()}`)))
    return Layer.mergeAll(
      Layer.succeed(DailySync, DailySync.of({ run: (market: Market) => record(`daily_sync:${market}`).pipe(Effect.as(finished)) })),
      Layer.succeed(IntradayRefresh, IntradayRefresh.of({ run: () => Effect.succeed(Option.none()) })),
      Layer.succeed(Retention, Retention.of({ run: () => record("retention").pipe(Effect.as(finished)) })),
      Layer.succeed(Prewarm, Prewarm.of({ run: (market) => record(`prewarm:${market}`).pipe(Effect.as(finished)) })),
      Layer.succeed(ListingRefresh, ListingRefresh.of({ run: () => record("listing_refresh").pipe(Effect.as(finished)) })),
      TradingCalendars.layer
    )
  }

  it.effect("declares each market's jobs in its exchange time zone", () =>
    Effect.gen(function*() {
      const jobs = yield* marketJobs.pipe(Effect.provide(recording([])))
      assert.deepStrictEqual(jobs.map((j) => [j.name, j.expression, j.timeZone]), [
        ["daily_sync:CN", "0 16 * * 1-5", "Asia/Shanghai"],
        ["intraday_refresh:CN", "*/5 9-15 * * 1-5", "Asia/Shanghai"],
        ["prewarm:CN", "0 9 * * 1-5", "Asia/Shanghai"],
        ["daily_sync:US", "30 17 * * 1-5", "America/New_York"],
        ["intraday_refresh:US", "*/5 9-16 * * 1-5", "America/New_York"],
        ["prewarm:US", "0 9 * * 1-5", "America/New_York"],
        ["retention", "30 3 * * *", "UTC"],
        ["listing_refresh", "0 1 * * *", "UTC"]
      ])
    }))

  it.effect("skips exchange holidays: China's National Day week, while New York trades", () =>
    Effect.scoped(Effect.gen(function*() {
      const calls: Array<string> = []
      const services = recording(calls)
      const jobs = yield* marketJobs.pipe(Effect.provide(services))
      // Wednesday 2026-09-30, before the Shanghai close; CN is closed 1–7 October.
      yield* schedulerAt("2026-09-30T07:00:00Z", jobs)
      yield* advanceTo("2026-10-03T00:00:00Z")
      const daily = calls.filter((c) => c.startsWith("daily_sync") || c.startsWith("prewarm"))
      assert.deepStrictEqual(daily, [
        "daily_sync:CN 2026-09-30T08:00:00.000Z",
        "prewarm:US 2026-09-30T13:00:00.000Z",
        "daily_sync:US 2026-09-30T21:30:00.000Z",
        "prewarm:US 2026-10-01T13:00:00.000Z",
        "daily_sync:US 2026-10-01T21:30:00.000Z",
        "prewarm:US 2026-10-02T13:00:00.000Z",
        "daily_sync:US 2026-10-02T21:30:00.000Z"
      ])
      assert.deepStrictEqual(calls.filter((c) => c.startsWith("retention")), [
        "retention 2026-10-01T03:30:00.000Z",
        "retention 2026-10-02T03:30:00.000Z"
      ])
    })))
})
