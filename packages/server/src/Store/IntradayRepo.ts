import type { IntradayInterval } from "@marketgate/domain/Interval"
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import type { SourceIntradayBar } from "../Sources/MarketDataSource.ts"
import type { StoreError } from "./StoreError.ts"
import { storeCall } from "./StoreMetrics.ts"

export interface IntradayRow extends SourceIntradayBar {
  readonly symbol: string
  readonly interval: IntradayInterval
  readonly source: string
  readonly fetchedAt: number
  readonly ingestRunId: number | null
}

const monthStart = (ms: number) => {
  const d = new Date(ms)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
}
const nextMonth = (ms: number) => {
  const d = new Date(ms)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
}
const partitionName = (ms: number) => {
  const d = new Date(ms)
  return `bars_intraday_y${d.getUTCFullYear()}m${String(d.getUTCMonth() + 1).padStart(2, "0")}`
}
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10)

/**
 * The `bars_intraday` table, partitioned by month (UTC) of the bar's opening
 * instant. Partitions are created when first written to; retention drops
 * whole partitions, which is instant and leaves no dead rows.
 */
export class IntradayRepo extends Context.Service<IntradayRepo, {
  readonly upsert: (rows: ReadonlyArray<IntradayRow>) => Effect.Effect<number, StoreError>
  readonly range: (
    symbol: string,
    interval: IntradayInterval,
    from: number,
    to: number
  ) => Effect.Effect<ReadonlyArray<SourceIntradayBar>, StoreError>
  /** The (symbol, interval) pairs with bars since `since` (epoch ms): what the intraday refresh keeps current. */
  readonly tracked: (since: number) => Effect.Effect<ReadonlyArray<{ readonly symbol: string; readonly interval: IntradayInterval }>, StoreError>
  /** Partition names with their first instant (epoch ms), oldest first. */
  readonly partitions: Effect.Effect<ReadonlyArray<{ readonly name: string; readonly from: number }>, StoreError>
  /** Drops every partition whose month ends on or before `before`; returns their names. */
  readonly dropBefore: (before: number) => Effect.Effect<ReadonlyArray<string>, StoreError>
}>()("@marketgate/server/Store/IntradayRepo") {
  static readonly layer = Layer.effect(
    IntradayRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const fail = storeCall

      const ensurePartition = (month: number) =>
        sql.unsafe(
          `CREATE TABLE IF NOT EXISTS ${partitionName(month)} PARTITION OF bars_intraday
           FOR VALUES FROM ('${isoDay(month)}') TO ('${isoDay(nextMonth(month))}')`
        )

      const upsert = Effect.fn("IntradayRepo.upsert")(
        function*(rows: ReadonlyArray<IntradayRow>) {
          if (rows.length === 0) return 0
          const months = new Set(rows.map((r) => monthStart(r.ts)))
          for (const m of months) yield* ensurePartition(m)
          const col = <K extends keyof IntradayRow>(k: K) => rows.map((r) => r[k])
          const num = (k: "open" | "high" | "low" | "close" | "volume" | "amount") => rows.map((r) => String(r[k]))
          const written = yield* sql<{ ts: string }>`
            INSERT INTO bars_intraday (symbol, interval, ts, date, open, high, low, close, volume, amount, source, fetched_at, ingest_run_id)
            SELECT t.symbol, t.interval, t.ts, t.date, t.open, t.high, t.low, t.close, t.volume, t.amount, t.source,
                   t.fetched_at, NULLIF(t.run, '')::bigint
            FROM unnest(
              ${col("symbol")}::text[], ${col("interval")}::text[],
              ${rows.map((r) => new Date(r.ts).toISOString())}::timestamptz[], ${col("date")}::date[],
              ${num("open")}::float8[], ${num("high")}::float8[], ${num("low")}::float8[], ${num("close")}::float8[],
              ${num("volume")}::bigint[], ${num("amount")}::float8[], ${col("source")}::text[],
              ${rows.map((r) => new Date(r.fetchedAt).toISOString())}::timestamptz[],
              ${col("ingestRunId").map((id) => (id === null ? "" : String(id)))}::text[]
            ) AS t(symbol, interval, ts, date, open, high, low, close, volume, amount, source, fetched_at, run)
            ON CONFLICT (symbol, interval, ts) DO UPDATE SET
              open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
              volume = excluded.volume, amount = excluded.amount, source = excluded.source,
              fetched_at = excluded.fetched_at, ingest_run_id = excluded.ingest_run_id
            WHERE (bars_intraday.open, bars_intraday.high, bars_intraday.low, bars_intraday.close, bars_intraday.volume)
              IS DISTINCT FROM (excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume)
            RETURNING ts::text`
          return written.length
        },
        fail("bars_intraday.upsert")
      )

      const range = Effect.fn("IntradayRepo.range")(
        function*(symbol: string, interval: IntradayInterval, from: number, to: number) {
          const rows = yield* sql<{ ts: Date; date: string; open: number; high: number; low: number; close: number; volume: number; amount: number }>`
            SELECT ts, to_char(date, 'YYYY-MM-DD') AS date, open, high, low, close, volume::float8 AS volume, amount
            FROM bars_intraday
            WHERE symbol = ${symbol} AND interval = ${interval}
              AND ts >= ${new Date(from).toISOString()}::timestamptz AND ts < ${new Date(to).toISOString()}::timestamptz
            ORDER BY ts`
          return rows.map((r) => ({ ...r, ts: new Date(r.ts).getTime() }))
        },
        fail("bars_intraday.range")
      )

      const partitions = sql<{ name: string }>`
        SELECT c.relname AS name FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname = 'bars_intraday' ORDER BY c.relname`.pipe(
        Effect.map((rows) =>
          rows.flatMap((r) => {
            const m = /^bars_intraday_y(\d{4})m(\d{2})$/.exec(r.name)
            return m === null ? [] : [{ name: r.name, from: Date.UTC(Number(m[1]), Number(m[2]) - 1, 1) }]
          })
        ),
        fail("bars_intraday.partitions")
      )

      const dropBefore = Effect.fn("IntradayRepo.dropBefore")(
        function*(before: number) {
          const old = (yield* partitions).filter((p) => nextMonth(p.from) <= before)
          for (const p of old) yield* sql.unsafe(`DROP TABLE IF EXISTS ${p.name}`).pipe(fail("bars_intraday.drop"))
          return old.map((p) => p.name)
        }
      )

      const tracked = Effect.fn("IntradayRepo.tracked")(
        function*(since: number) {
          return yield* sql<{ symbol: string; interval: IntradayInterval }>`
            SELECT DISTINCT symbol, interval FROM bars_intraday
            WHERE ts >= ${new Date(since).toISOString()}::timestamptz
            ORDER BY symbol, interval`
        },
        fail("bars_intraday.tracked")
      )

      return IntradayRepo.of({ upsert, range, tracked, partitions, dropBefore })
    })
  )
  /** In memory, for tests that swap the store out: same semantics, months as partitions. */
  static readonly layerMemory = Layer.sync(IntradayRepo, () => {
    const rows = new Map<string, IntradayRow>()
    const keyOf = (r: { symbol: string; interval: string; ts: number }) => `${r.symbol} ${r.interval} ${r.ts}`
    const months = () => [...new Set([...rows.values()].map((r) => monthStart(r.ts)))].sort((a, b) => a - b)
    return IntradayRepo.of({
      upsert: (batch) =>
        Effect.sync(() => {
          let written = 0
          for (const row of batch) {
            const old = rows.get(keyOf(row))
            const same = old !== undefined && old.open === row.open && old.high === row.high && old.low === row.low &&
              old.close === row.close && old.volume === row.volume
            if (!same) {
              rows.set(keyOf(row), row)
              written++
            }
          }
          return written
        }),
      range: (symbol, interval, from, to) =>
        Effect.sync(() =>
          [...rows.values()]
            .filter((r) => r.symbol === symbol && r.interval === interval && r.ts >= from && r.ts < to)
            .sort((a, b) => a.ts - b.ts)
            .map(({ amount, close, date, high, low, open, ts, volume }) => ({ ts, date, open, high, low, close, volume, amount }))
        ),
      tracked: (since) =>
        Effect.sync(() => {
          const pairs = new Map<string, { symbol: string; interval: IntradayInterval }>()
          for (const r of rows.values()) if (r.ts >= since) pairs.set(`${r.symbol} ${r.interval}`, { symbol: r.symbol, interval: r.interval })
          return [...pairs.values()].sort((a, b) => (a.symbol + a.interval < b.symbol + b.interval ? -1 : 1))
        }),
      partitions: Effect.sync(() => months().map((from) => ({ name: partitionName(from), from }))),
      dropBefore: (before) =>
        Effect.sync(() => {
          const old = months().filter((m) => nextMonth(m) <= before)
          for (const [k, r] of rows) if (old.includes(monthStart(r.ts))) rows.delete(k)
          return old.map(partitionName)
        })
    })
  })
}
