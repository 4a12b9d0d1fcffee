import type { DailyBar } from "@marketgate/domain/Bar"
import type { IsoDate } from "@marketgate/domain/CalendarDate"
import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import type { StoreError } from "./StoreError.ts"
import { storeCall } from "./StoreMetrics.ts"

/** A bar to store, with where and when it came from and the quality rules it passed. */
export interface DailyBarRow extends DailyBar {
  readonly symbol: string
  readonly source: string
  /** Epoch ms. */
  readonly fetchedAt: number
  readonly ingestRunId: number | null
  readonly checks: ReadonlyArray<string>
}

/** Where a stored bar came from (GET /v1/lineage). */
export interface BarLineage {
  readonly bar: DailyBar
  readonly source: string
  readonly fetchedAt: string
  readonly ingestRunId: number | null
  readonly checks: ReadonlyArray<string>
}

const CHUNK = 5000

/** A corporate action with the factor it applies to the cumulative adjustment from its ex-date on. */
export interface PricedAction {
  readonly exDate: IsoDate
  readonly kind: "split" | "dividend"
  readonly factor: number
  readonly numerator?: number | undefined
  readonly denominator?: number | undefined
  readonly amount?: number | undefined
}

const sameBar = (a: DailyBar, b: DailyBar) =>
  a.open === b.open && a.high === b.high && a.low === b.low && a.close === b.close && a.volume === b.volume &&
  a.amount === b.amount && a.adjFactor === b.adjFactor && a.suspended === b.suspended

/**
 * The `bars_daily` table (one row per symbol and session, written by
 * idempotent upserts) and the corporate actions whose factors it carries.
 */
export class DailyBarRepo extends Context.Service<DailyBarRepo, {
  /** Stored bars of `symbol` in [from, to], ascending. */
  readonly range: (symbol: string, from: IsoDate, to: IsoDate) => Effect.Effect<ReadonlyArray<DailyBar>, StoreError>
  /** The latest stored bar strictly before `date`. */
  readonly lastBefore: (symbol: string, date: IsoDate) => Effect.Effect<Option.Option<DailyBar>, StoreError>
  /** The adjustment factor of the latest stored bar (1 with no bars): qfq's reference. */
  readonly latestAdjFactor: (symbol: string) => Effect.Effect<number, StoreError>
  /** Insert or update by (symbol, date); returns how many rows were written (unchanged rows are skipped). */
  readonly upsert: (rows: ReadonlyArray<DailyBarRow>) => Effect.Effect<number, StoreError>
  /** Symbols with at least one stored bar: the history the jobs keep complete. */
  readonly symbols: Effect.Effect<ReadonlyArray<string>, StoreError>
  /** Retention: deletes bars dated before `date`; returns how many. */
  readonly deleteBefore: (date: IsoDate) => Effect.Effect<number, StoreError>
  readonly lineage: (symbol: string, date: IsoDate) => Effect.Effect<Option.Option<BarLineage>, StoreError>
  /** Known corporate actions of `symbol`, by ex-date. */
  readonly actions: (symbol: string) => Effect.Effect<ReadonlyArray<PricedAction>, StoreError>
  /**
   * Records actions not known yet and, in the same transaction, multiplies the
   * adjustment factor of every stored bar from each new action's ex-date on.
   * Returns how many were new: recording twice changes nothing.
   */
  readonly recordActions: (
    symbol: string,
    actions: ReadonlyArray<PricedAction>,
    source: string
  ) => Effect.Effect<number, StoreError>
}>()("@marketgate/server/Store/DailyBarRepo") {
  static readonly layer = Layer.effect(
    DailyBarRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient

      const range = Effect.fn("DailyBarRepo.range")(
        function*(symbol: string, from: IsoDate, to: IsoDate) {
          return yield* sql<DailyBar>`
            SELECT to_char(date, 'YYYY-MM-DD') AS date, open, high, low, close,
                   volume::float8 AS volume, amount, adj_factor AS "adjFactor", suspended
            FROM bars_daily
            WHERE symbol = ${symbol} AND date BETWEEN ${from}::date AND ${to}::date
            ORDER BY date`
        },
        storeCall("bars_daily.range")
      )

      const lastBefore = Effect.fn("DailyBarRepo.lastBefore")(
        function*(symbol: string, date: IsoDate) {
          const rows = yield* sql<DailyBar>`
            SELECT to_char(date, 'YYYY-MM-DD') AS date, open, high, low, close,
                   volume::float8 AS volume, amount, adj_factor AS "adjFactor", suspended
            FROM bars_daily
            WHERE symbol = ${symbol} AND date < ${date}::date
            ORDER BY date DESC LIMIT 1`
          return Option.fromNullishOr(rows[0])
        },
        storeCall("bars_daily.lastBefore")
      )

      const latestAdjFactor = Effect.fn("DailyBarRepo.latestAdjFactor")(
        function*(symbol: string) {
          const rows = yield* sql<{ adj_factor: number }>`
            SELECT adj_factor FROM bars_daily WHERE symbol = ${symbol} ORDER BY date DESC LIMIT 1`
          return rows[0]?.adj_factor ?? 1
        },
        storeCall("bars_daily.latestAdjFactor")
      )

      const upsertChunk = (rows: ReadonlyArray<DailyBarRow>) => {
        const col = <K extends keyof DailyBarRow>(k: K) => rows.map((r) => r[k])
        // Numbers travel as text: the driver infers one array type per
        // parameter and would reject a mix of integers and fractions.
        const num = <K extends "open" | "high" | "low" | "close" | "volume" | "amount" | "adjFactor">(k: K) =>
          rows.map((r) => String(r[k]))
        return sql<{ inserted: boolean }>`
          INSERT INTO bars_daily
            (symbol, date, open, high, low, close, volume, amount, adj_factor, suspended, source, fetched_at, ingest_run_id, checks)
          SELECT t.symbol, t.date, t.open, t.high, t.low, t.close, t.volume, t.amount, t.adj_factor,
                 t.suspended, t.source, t.fetched_at, NULLIF(t.ingest_run_id, '')::bigint,
                 COALESCE(string_to_array(NULLIF(t.checks, ''), ','), '{}')
          FROM unnest(
            ${col("symbol")}::text[], ${col("date")}::date[], ${num("open")}::float8[], ${num("high")}::float8[],
            ${num("low")}::float8[], ${num("close")}::float8[], ${num("volume")}::bigint[], ${num("amount")}::float8[],
            ${num("adjFactor")}::float8[], ${col("suspended").map(String)}::boolean[], ${col("source")}::text[],
            ${col("fetchedAt").map((ms) => new Date(ms).toISOString())}::timestamptz[],
            ${col("ingestRunId").map((id) => (id === null ? "" : String(id)))}::text[],
            ${col("checks").map((c) => c.join(","))}::text[]
          ) AS t(symbol, date, open, high, low, close, volume, amount, adj_factor, suspended, source, fetched_at, ingest_run_id, checks)
          ON CONFLICT (symbol, date) DO UPDATE SET
            open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
            volume = excluded.volume, amount = excluded.amount, adj_factor = excluded.adj_factor,
            suspended = excluded.suspended, source = excluded.source, fetched_at = excluded.fetched_at,
            ingest_run_id = excluded.ingest_run_id, checks = excluded.checks
          WHERE (bars_daily.open, bars_daily.high, bars_daily.low, bars_daily.close, bars_daily.volume,
                 bars_daily.amount, bars_daily.adj_factor, bars_daily.suspended)
            IS DISTINCT FROM (excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume,
                 excluded.amount, excluded.adj_factor, excluded.suspended)
          RETURNING (xmax = 0) AS inserted`
      }

      const upsert = Effect.fn("DailyBarRepo.upsert")(
        function*(rows: ReadonlyArray<DailyBarRow>) {
          yield* Effect.annotateCurrentSpan({ rows: rows.length })
          let written = 0
          for (let i = 0; i < rows.length; i += CHUNK) {
            written += (yield* upsertChunk(rows.slice(i, i + CHUNK))).length
          }
          return written
        },
        storeCall("bars_daily.upsert")
      )

      const actions = Effect.fn("DailyBarRepo.actions")(
        function*(symbol: string) {
          return yield* sql<PricedAction>`
            SELECT to_char(ex_date, 'YYYY-MM-DD') AS "exDate", kind, factor
            FROM corporate_actions WHERE symbol = ${symbol} ORDER BY ex_date, kind`
        },
        storeCall("corporate_actions.read")
      )

      const recordActions = Effect.fn("DailyBarRepo.recordActions")(
        function*(symbol: string, list: ReadonlyArray<PricedAction>, source: string) {
          let inserted = 0
          for (const a of list) {
            const rows = yield* sql<{ factor: number }>`
              INSERT INTO corporate_actions (symbol, ex_date, kind, numerator, denominator, amount, factor, source)
              VALUES (${symbol}, ${a.exDate}::date, ${a.kind}, ${a.numerator ?? null}, ${a.denominator ?? null},
                      ${a.amount ?? null}, ${a.factor}, ${source})
              ON CONFLICT (symbol, ex_date, kind) DO NOTHING
              RETURNING factor`
            if (rows.length === 0) continue
            inserted++
            yield* sql`
              UPDATE bars_daily SET adj_factor = adj_factor * ${a.factor}
              WHERE symbol = ${symbol} AND date >= ${a.exDate}::date`
          }
          return inserted
        },
        sql.withTransaction,
        storeCall("corporate_actions.record")
      )

      // A loose index scan: one primary-key probe per symbol instead of reading
      // every row (PostgreSQL has no skip scan; DISTINCT would scan them all).
      const symbols = sql<{ symbol: string }>`
        WITH RECURSIVE s(symbol) AS (
          (SELECT symbol FROM bars_daily ORDER BY symbol LIMIT 1)
          UNION ALL
          SELECT (SELECT b.symbol FROM bars_daily b WHERE b.symbol > s.symbol ORDER BY b.symbol LIMIT 1)
          FROM s WHERE s.symbol IS NOT NULL
        )
        SELECT symbol FROM s WHERE symbol IS NOT NULL`.pipe(
        Effect.map((rows) => rows.map((r) => r.symbol)),
        storeCall("bars_daily.symbols"),
        Effect.withSpan("DailyBarRepo.symbols")
      )

      const lineage = Effect.fn("DailyBarRepo.lineage")(
        function*(symbol: string, date: IsoDate) {
          const rows = yield* sql<{
            date: string
            open: number
            high: number
            low: number
            close: number
            volume: number
            amount: number
            adjFactor: number
            suspended: boolean
            source: string
            fetchedAt: string
            ingestRunId: string | null
            checks: ReadonlyArray<string> | null
          }>`
            SELECT to_char(date, 'YYYY-MM-DD') AS date, open, high, low, close, volume::float8 AS volume, amount,
                   adj_factor AS "adjFactor", suspended, source,
                   to_char(fetched_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "fetchedAt",
                   ingest_run_id::text AS "ingestRunId", checks
            FROM bars_daily WHERE symbol = ${symbol} AND date = ${date}::date`
          const row = rows[0]
          if (row === undefined) return Option.none()
          const { checks, fetchedAt, ingestRunId, source, ...bar } = row
          return Option.some({
            bar,
            source,
            fetchedAt,
            ingestRunId: ingestRunId === null ? null : Number(ingestRunId),
            checks: checks ?? []
          })
        },
        storeCall("bars_daily.lineage")
      )

      const deleteBefore = Effect.fn("DailyBarRepo.deleteBefore")(
        function*(date: IsoDate) {
          const rows = yield* sql<{ n: number }>`
            WITH gone AS (DELETE FROM bars_daily WHERE date < ${date}::date RETURNING 1)
            SELECT count(*)::int AS n FROM gone`
          return rows[0]?.n ?? 0
        },
        storeCall("bars_daily.deleteBefore")
      )

      return DailyBarRepo.of({ range, lastBefore, latestAdjFactor, upsert, symbols, deleteBefore, lineage, actions, recordActions })
    })
  )

  /** In memory, for tests that swap the store out. Same semantics as the SQL layer. */
  static readonly layerMemory = Layer.sync(DailyBarRepo, () => {
    const bySymbol = new Map<string, Map<string, DailyBar>>()
    const meta = new Map<string, Omit<BarLineage, "bar">>()
    const actionsBySymbol = new Map<string, Array<PricedAction>>()
    const sorted = (symbol: string) =>
      [...(bySymbol.get(symbol)?.values() ?? [])].sort((a, b) => (a.date < b.date ? -1 : 1))
    return DailyBarRepo.of({
      range: (symbol, from, to) => Effect.sync(() => sorted(symbol).filter((b) => b.date >= from && b.date <= to)),
      lastBefore: (symbol, date) =>
        Effect.sync(() => Option.fromNullishOr(sorted(symbol).filter((b) => b.date < date).at(-1))),
      latestAdjFactor: (symbol) => Effect.sync(() => sorted(symbol).at(-1)?.adjFactor ?? 1),
      upsert: (rows) =>
        Effect.sync(() => {
          let written = 0
          for (const { checks, fetchedAt, ingestRunId, source, symbol, ...bar } of rows) {
            meta.set(`${symbol} ${bar.date}`, { source, fetchedAt: new Date(fetchedAt).toISOString(), ingestRunId, checks })
            let bars = bySymbol.get(symbol)
            if (bars === undefined) bySymbol.set(symbol, bars = new Map())
            const old = bars.get(bar.date)
            if (old === undefined || !sameBar(old, bar)) written++
            bars.set(bar.date, bar)
          }
          return written
        }),
      symbols: Effect.sync(() => [...bySymbol.keys()].filter((s) => bySymbol.get(s)!.size > 0).sort()),
      deleteBefore: (date) =>
        Effect.sync(() => {
          let n = 0
          for (const bars of bySymbol.values()) {
            for (const d of [...bars.keys()]) if (d < date && bars.delete(d)) n++
          }
          return n
        }),
      lineage: (symbol, date) =>
        Effect.sync(() => {
          const bar = bySymbol.get(symbol)?.get(date)
          const m = meta.get(`${symbol} ${date}`)
          return bar === undefined || m === undefined ? Option.none() : Option.some({ bar, ...m })
        }),
      actions: (symbol) =>
        Effect.sync(() => [...(actionsBySymbol.get(symbol) ?? [])].sort((a, b) => (a.exDate < b.exDate ? -1 : 1))),
      recordActions: (symbol, list) =>
        Effect.sync(() => {
          const known = actionsBySymbol.get(symbol) ?? []
          actionsBySymbol.set(symbol, known)
          let inserted = 0
          for (const a of list) {
            if (known.some((k) => k.exDate === a.exDate && k.kind === a.kind)) continue
            known.push(a)
            inserted++
            for (const [date, bar] of bySymbol.get(symbol) ?? []) {
              if (date >= a.exDate) bySymbol.get(symbol)!.set(date, { ...bar, adjFactor: bar.adjFactor * a.factor })
            }
          }
          return inserted
        })
    })
  })
}
