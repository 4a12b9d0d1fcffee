import { assert, describe, it } from "@effect/vitest"
import { calendarOf, defaultCalendars } from "@marketgate/domain/calendar/Calendars"
import type { ExchangeCalendar } from "@marketgate/domain/calendar/ExchangeCalendar"
import { fromDayNumber, toDayNumber } from "@marketgate/domain/CalendarDate"
import type { Instrument } from "@marketgate/domain/Instrument"
import { defaultQualitySettings } from "@marketgate/domain/quality/QualityRules"
import { Context, Duration, Effect, Layer, Redacted, References } from "effect"
import { SqlClient } from "effect/sql"
import * as Net from "node:net"
import { services } from "../../src/App.ts"
import { MarketCache } from "../../src/Cache/MarketCache.ts"
import { TradingCalendars } from "../../src/Calendar/TradingCalendars.ts"
import { InstrumentCatalog } from "../../src/Instruments/InstrumentCatalog.ts"
import { Backfill } from "../../src/Jobs/Backfill.ts"
import { Scheduler } from "../../src/Jobs/Scheduler.ts"
import { DailyHistory } from "../../src/MarketData/DailyHistory.ts"
import { MetricsRegistry } from "../../src/Observability/MetricsRegistry.ts"
import { QualityValidator } from "../../src/Quality/QualityValidator.ts"
import { tierDefaults } from "../../src/Sources/Resilience/SourceSettings.ts"
import * as Simulated from "../../src/Sources/Simulated/SimulatedSource.ts"
import * as Sources from "../../src/Sources/SourcesLayer.ts"
import * as Database from "../../src/Store/Database.ts"
import { promValue } from "../support/PromText.ts"
import { spawnService } from "../support/ServiceProcess.ts"
import { checkClient, scratchDatabase } from "../support/TestDatabase.ts"

// Issue 5, proof 2: the start-up integrity check of the real service process
// refills exactly the sessions of the last INTEGRITY_WINDOW_DAYS trading days
// that the store lost — with the values they had — asks the provider only for
// those, and leaves older gaps alone; skipped by flag or setting, it does
// nothing at all.

const SEED = 42
const WINDOW = 60
const SYMBOLS = { SH: 35, SZ: 35, US: 30 } as const
// The simulated provider's fat-tailed days include US moves beyond the price_jump
// rule's default (20 %, 8σ); with a single provider nothing can confirm them, so
// they stay quarantined (docs/data-quality.md). This test is about refilling lost
// sessions, so that rule is set out of reach, here and in the service.
const MIN_JUMP = 1

// ---------------------------------------------------------------- database

const freePort = Effect.promise(
  () =>
    new Promise<number>((resolve) => {
      const server = Net.createServer().listen(0, "127.0.0.1", () => {
        const port = (server.address() as Net.AddressInfo).port
        server.close(() => resolve(port))
      })
    })
)

// ---------------------------------------------------------------- the year before

/** The app's services over `url` with the simulated provider the service uses by default (seed 42). */
const appServices = (url: string) =>
  services({
    database: Database.layerFor({ _tag: "Server", url: Redacted.make(url), maxConnections: 8 }),
    source: Sources.layerFor([{
      layer: Simulated.layer({ seed: SEED, latency: Duration.zero, failureRate: 0 }),
      settings: {
        ...tierDefaults.paid,
        name: "simulated",
        priority: 0,
        tier: "paid",
        rateLimit: { ...tierDefaults.paid.rateLimit, maxPerSecond: 100_000 }
      }
    }], { budget: Duration.seconds(10) }),
    cache: MarketCache.layerTest,
    history: DailyHistory.layer({ settle: Duration.hours(12) }).pipe(
      Layer.provideMerge(QualityValidator.layer({ ...defaultQualitySettings, minJump: MIN_JUMP }))
    ),
    scheduler: Scheduler.layerNone,
    calendars: TradingCalendars.layer,
    metrics: MetricsRegistry.layer
  })

const pick = (all: ReadonlyArray<Instrument>) =>
  (["SH", "SZ", "US"] as const).flatMap((exchange) => {
    const candidates = all.filter((i) => i.exchange === exchange)
    const stride = Math.floor(candidates.length / SYMBOLS[exchange])
    return Array.from({ length: SYMBOLS[exchange] }, (_, k) => candidates[k * stride]!)
  })

// ---------------------------------------------------------------- rows

interface Row {
  readonly symbol: string
  readonly date: string
  readonly open: number
  readonly high: number
  readonly low: number
  readonly close: number
  readonly volume: number
  readonly amount: number
  readonly adj_factor: number
  readonly suspended: boolean
  readonly source: string
  readonly fetched: boolean
  readonly ingest_run_id: number | null
}

const key = (symbol: string, date: string) => `${symbol} ${date}`

const allRows = (sql: SqlClient.SqlClient) =>
  Effect.map(
    sql<Row>`SELECT symbol, date::text AS date, open, high, low, close, volume::float8 AS volume, amount, adj_factor,
                    suspended, source, fetched_at IS NOT NULL AS fetched, ingest_run_id::int AS ingest_run_id
             FROM bars_daily`,
    (rows) => new Map(rows.map((r) => [key(r.symbol, r.date), r]))
  )

/** The stored values of a bar, lineage aside. */
const values = ({ fetched: _f, ingest_run_id: _i, ...rest }: Row) => rest

interface RunRow {
  readonly id: number
  readonly kind: string
  readonly trigger: string
  readonly status: string
  readonly params: Record<string, unknown>
  readonly counts: Record<string, number>
}

const runsOf = (sql: SqlClient.SqlClient, kind: string) =>
  sql<RunRow>`SELECT id::int AS id, kind, trigger, status, params, counts FROM ingest_runs WHERE kind = ${kind} ORDER BY id`

/** A small seeded generator (mulberry32): the same deletions on every run of the test. */
const seeded = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The last `WINDOW` completed sessions of a calendar now, as the service computes its window. */
const windowOf = (calendar: ExchangeCalendar, now: number) => {
  const last = calendar.lastCompletedSession(now)!
  return { last, sessions: calendar.sessionDays(calendar.sessionsBefore(last, WINDOW - 1), last) }
}

const parse = (line: string) => JSON.parse(line) as Record<string, unknown>

describe("the integrity check at start-up of the service process", () => {
  it.live("refills exactly the lost sessions of its window (and only with --skip-integrity-check / SKIP_INTEGRITY_CHECK off)", () =>
    Effect.gen(function*() {
      const url = yield* scratchDatabase("integrity")
      const sql = yield* checkClient(url)

      // ---- a year of history for 100 symbols, up to the last completed session
      const now = Date.now()
      const to = fromDayNumber(Math.floor(now / 86_400_000) + 1)
      const from = fromDayNumber(Math.floor(now / 86_400_000) - 365)
      const instruments = yield* Effect.scoped(Effect.gen(function*() {
        const context = yield* Layer.build(appServices(url))
        const chosen = pick(yield* Context.get(context, InstrumentCatalog).all)
        const outcome = yield* Context.get(context, Backfill).run({ symbols: chosen.map((i) => i.symbol), from, to }, "test")
        assert.isTrue(outcome._tag === "Finished" && outcome.status === "succeeded" && outcome.counts.failed === 0)
        return chosen
      }))
      assert.strictEqual(instruments.length, 100)
      const exchangeOf = new Map<string, Instrument["exchange"]>(instruments.map((i) => [i.symbol, i.exchange]))
      const calendarOfSymbol = (symbol: string) => calendarOf(defaultCalendars, exchangeOf.get(symbol)!)

      const before = yield* allRows(sql)
      assert.isAbove(before.size, 100 * 200)

      // ---- the window as the service will see it (the real clock), per calendar
      const windows = new Map<ExchangeCalendar, ReturnType<typeof windowOf>>()
      for (const calendar of [defaultCalendars.CN, defaultCalendars.US]) windows.set(calendar, windowOf(calendar, Date.now()))
      const windowPosition = (symbol: string, date: string) => {
        const { sessions } = windows.get(calendarOfSymbol(symbol))!
        return sessions.indexOf(toDayNumber(date))
      }
      // In the window, away from its first sessions (a session closing meanwhile moves the window on by one).
      const inWindow = [...before.values()].filter((r) => windowPosition(r.symbol, r.date) >= 3)
      // Well before the window.
      const outside = [...before.values()].filter((r) => {
        const { sessions } = windows.get(calendarOfSymbol(r.symbol))!
        return toDayNumber(r.date) < sessions[0]! - 10
      })
      assert.isAbove(inWindow.length, 100 * (WINDOW - 4))

      // ---- lose ~1 % of the rows, scattered, in the window; and some older ones
      const random = seeded(20261122)
      const choose = (rows: ReadonlyArray<Row>, n: number) => {
        const chosen = new Map<string, Row>()
        while (chosen.size < n) {
          const row = rows[Math.floor(random() * rows.length)]!
          chosen.set(key(row.symbol, row.date), row)
        }
        return [...chosen.values()]
      }
      const lostInWindow = choose(inWindow, Math.round(before.size / 100))
      const lostOutside = choose(outside, 40)
      // The sample holds suspended sessions too, so the refill must rebuild those from the calendar.
      const suspendedInWindow = inWindow.filter((r) => r.suspended)
      const lost = [...lostInWindow, ...lostOutside, ...suspendedInWindow.slice(0, 3).filter((r) => !lostInWindow.includes(r))]
      const lostInWindowAll = lost.filter((r) => windowPosition(r.symbol, r.date) >= 0)
      yield* sql.withTransaction(Effect.forEach(lost, (r) =>
        sql`DELETE FROM bars_daily WHERE symbol = ${r.symbol} AND date = ${r.date}::date`, { discard: true }))
      const lostKeys = new Set(lost.map((r) => key(r.symbol, r.date)))
      const afterDeletion = yield* allRows(sql)
      assert.strictEqual(afterDeletion.size, before.size - lost.length)

      const env = {
        DATABASE_URL: url,
        HOST: "127.0.0.1",
        INTEGRITY_WINDOW_DAYS: String(WINDOW),
        QUALITY_MIN_JUMP: String(MIN_JUMP),
        SCHEDULER_ENABLED: "false",
        PREWARM_COUNT: "0"
      }

      // ---- restarts that skip the check: the flag, then the setting
      for (const [label, extraEnv, args] of [
        ["--skip-integrity-check", {}, ["--skip-integrity-check"]],
        ["SKIP_INTEGRITY_CHECK=1", { SKIP_INTEGRITY_CHECK: "1" }, []]
      ] as const) {
        const port = yield* freePort
        const service = yield* spawnService({ ...env, ...extraEnv, PORT: String(port) }, args)
        // Printed where the check would otherwise have been started.
        yield* service.waitForLine((l) => l.includes("integrity check skipped"), "60 seconds")
        yield* service.waitForLine((l) => l.includes("Listening on"), "60 seconds")
        service.child.kill("SIGTERM")
        assert.strictEqual(yield* service.exited, 0, label)
        assert.isFalse(service.lines.some((l) => l.includes("\"job\":\"integrity\"")), `${label}: ${service.lines.join("\n")}`)
        assert.deepStrictEqual(yield* runsOf(sql, "integrity"), [], label)
        assert.strictEqual((yield* allRows(sql)).size, afterDeletion.size, label)
      }

      // ---- the restart that checks
      const port = yield* freePort
      const service = yield* spawnService({ ...env, PORT: String(port) })
      const done = parse(yield* service.waitForLine((l) => l.includes("\"integrity succeeded\""), "60 seconds"))
      const metrics = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()))
      service.child.kill("SIGTERM")
      assert.strictEqual(yield* service.exited, 0)

      const after = yield* allRows(sql)
      const [integrity, ...others] = yield* runsOf(sql, "integrity")
      assert.deepStrictEqual(others, [])
      assert.isDefined(integrity)
      assert.strictEqual(integrity!.trigger, "startup")
      assert.strictEqual(integrity!.status, "succeeded")
      assert.deepStrictEqual(integrity!.params, { window_days: WINDOW })

      // Sessions that closed after the year was filled are the check's to add too (normally none).
      const lastAtFill = (symbol: string) => windows.get(calendarOfSymbol(symbol))!.last
      const added = [...after.values()].filter((r) => !before.has(key(r.symbol, r.date)))
      for (const r of added) {
        assert.isAtLeast(toDayNumber(r.date), lastAtFill(r.symbol), `${r.symbol} ${r.date} was never there`)
      }

      // Exactly the lost rows of the window are back, with the values they had; the older ones stay lost.
      for (const [k, row] of before) {
        const now = after.get(k)
        if (lostKeys.has(k) && windowPosition(row.symbol, row.date) < 0) {
          assert.isUndefined(now, `${k} is outside the window: it stays missing`)
          continue
        }
        assert.isDefined(now, `${k} is back`)
        assert.deepStrictEqual(values(now!), values(row), k)
        if (lostKeys.has(k)) {
          assert.isTrue(now!.fetched, k)
          assert.strictEqual(now!.ingest_run_id, integrity!.id, `${k}: written by the integrity run`)
        } else {
          assert.strictEqual(now!.ingest_run_id, row.ingest_run_id, `${k}: untouched`)
        }
      }
      assert.strictEqual(after.size, before.size - lostOutside.length + added.length)
      assert.isAtLeast(lostInWindowAll.filter((r) => r.suspended).length, 1)

      // What the run counted: every window session of every tracked symbol looked at, the lost ones written.
      const written = lostInWindowAll.length + added.length
      const suspended = lostInWindowAll.filter((r) => r.suspended).length + added.filter((r) => r.suspended).length
      const counts = {
        symbols: 100,
        done: 100,
        failed: 0,
        sessions: 100 * WINDOW,
        fetched: written - suspended,
        written,
        suspended,
        quarantined: 0
      }
      assert.deepStrictEqual(integrity!.counts, counts)
      for (const [field, value] of Object.entries(counts)) assert.strictEqual(done[field], value, `log line ${field}`)

      // The provider was asked once per run of consecutive missing sessions of a symbol, and for nothing else.
      let gaps = 0
      for (const instrument of instruments) {
        const { last, sessions } = windowOf(calendarOfSymbol(instrument.symbol), Date.now())
        const missing = sessions.map((d) => !afterDeletion.has(key(instrument.symbol, fromDayNumber(d))) || d > lastAtFill(instrument.symbol))
        gaps += missing.filter((m, i) => m && (i === 0 || !missing[i - 1])).length
        assert.isAtLeast(last, lastAtFill(instrument.symbol))
      }
      assert.strictEqual(promValue(metrics, "datasource_requests_total", { operation: "dailyBars" }), gaps)
    }).pipe(Effect.provideService(References.MinimumLogLevel, "Warn")), { timeout: 120_000 })
})
