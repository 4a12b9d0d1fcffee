import { Instrument } from "@marketgate/domain/Instrument"
import { Context, Effect, Layer, Schema } from "effect"
import { SqlClient } from "effect/sql"
import type { StoreError } from "./StoreError.ts"
import { storeCall } from "./StoreMetrics.ts"

const decodeInstruments = Schema.decodeUnknownEffect(Schema.Array(Instrument))

/** The `instruments` table: the listing universe, refreshed from the providers. */
export class InstrumentRepo extends Context.Service<InstrumentRepo, {
  readonly all: Effect.Effect<ReadonlyArray<Instrument>, StoreError>
  /** Insert or update by symbol; returns how many rows changed. */
  readonly upsert: (instruments: ReadonlyArray<Instrument>, source: string) => Effect.Effect<number, StoreError>
  /** Symbols of `market` that `source` listed and that are not delisted. */
  readonly listedBy: (market: string, source: string) => Effect.Effect<ReadonlyArray<string>, StoreError>
  /** Marks these as delisted on `date` (never deletes them); returns how many changed. */
  readonly markDelisted: (symbols: ReadonlyArray<string>, date: string) => Effect.Effect<number, StoreError>
}>()("@marketgate/server/Store/InstrumentRepo") {
  static readonly layer = Layer.effect(
    InstrumentRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient

      const all = sql`
        SELECT symbol, code, exchange, market, name, kind, board, currency, lot_size,
               to_char(listed_date, 'YYYY-MM-DD') AS listed_date,
               to_char(delisted_date, 'YYYY-MM-DD') AS delisted_date
        FROM instruments ORDER BY symbol`.pipe(
        Effect.flatMap(decodeInstruments),
        storeCall("instruments.all"),
        Effect.withSpan("InstrumentRepo.all")
      )

      const upsert = Effect.fn("InstrumentRepo.upsert")(
        function*(instruments: ReadonlyArray<Instrument>, source: string) {
          let changed = 0
          // 2,000 rows per statement keeps each one well under the protocol's parameter limits.
          for (let i = 0; i < instruments.length; i += 2000) {
            const chunk = instruments.slice(i, i + 2000)
            const col = <K extends keyof Instrument>(k: K) => chunk.map((x) => x[k])
            const rows = yield* sql<{ symbol: string }>`
              INSERT INTO instruments
                (symbol, code, exchange, market, name, kind, board, currency, lot_size, listed_date, delisted_date, source, updated_at)
              SELECT t.symbol, t.code, t.exchange, t.market, t.name, t.kind, t.board, t.currency, t.lot_size,
                     NULLIF(t.listed_date, '')::date, NULLIF(t.delisted_date, '')::date, ${source}, now()
              FROM unnest(
                ${col("symbol")}::text[], ${col("code")}::text[], ${col("exchange")}::text[],
                ${col("market")}::text[], ${col("name")}::text[], ${col("kind")}::text[], ${col("board")}::text[],
                ${col("currency")}::text[], ${col("lot_size").map(String)}::int[],
                ${col("listed_date").map((d) => d ?? "")}::text[], ${col("delisted_date").map((d) => d ?? "")}::text[]
              ) AS t(symbol, code, exchange, market, name, kind, board, currency, lot_size, listed_date, delisted_date)
              ON CONFLICT (symbol) DO UPDATE SET
                code = excluded.code, exchange = excluded.exchange, market = excluded.market,
                name = excluded.name, kind = excluded.kind, board = excluded.board, currency = excluded.currency,
                lot_size = excluded.lot_size,
                -- A source that does not state the listing date keeps the one another source gave.
                listed_date = COALESCE(excluded.listed_date, instruments.listed_date),
                delisted_date = excluded.delisted_date, source = excluded.source, updated_at = excluded.updated_at
              WHERE (instruments.name, instruments.kind, instruments.board, instruments.lot_size,
                     COALESCE(excluded.listed_date, instruments.listed_date), instruments.delisted_date, instruments.source)
                IS DISTINCT FROM (excluded.name, excluded.kind, excluded.board, excluded.lot_size,
                     instruments.listed_date, excluded.delisted_date, excluded.source)
              RETURNING symbol`
            changed += rows.length
          }
          return changed
        },
        storeCall("instruments.upsert")
      )

      const listedBy = (market: string, source: string) =>
        sql<{ symbol: string }>`
          SELECT symbol FROM instruments WHERE market = ${market} AND source = ${source} AND delisted_date IS NULL
          ORDER BY symbol`.pipe(
          Effect.map((rows) => rows.map((r) => r.symbol)),
          storeCall("instruments.listedBy"),
          Effect.withSpan("InstrumentRepo.listedBy")
        )

      const markDelisted = (symbols: ReadonlyArray<string>, date: string) =>
        sql<{ symbol: string }>`
          UPDATE instruments SET delisted_date = ${date}::date, updated_at = now()
          WHERE symbol = ANY(${symbols}::text[]) AND delisted_date IS NULL
          RETURNING symbol`.pipe(
          Effect.map((rows) => rows.length),
          storeCall("instruments.markDelisted"),
          Effect.withSpan("InstrumentRepo.markDelisted")
        )

      return InstrumentRepo.of({ all, upsert, listedBy, markDelisted })
    })
  )

  /** In memory, for tests that swap the store out. */
  static readonly layerMemory = Layer.sync(InstrumentRepo, () => {
    const rows = new Map<string, { readonly instrument: Instrument; readonly source: string }>()
    return InstrumentRepo.of({
      all: Effect.sync(() => [...rows.values()].map((r) => r.instrument).sort((a, b) => (a.symbol < b.symbol ? -1 : 1))),
      upsert: (instruments, source) =>
        Effect.sync(() => {
          let changed = 0
          for (const given of instruments) {
            const before = rows.get(given.symbol)
            const i = { ...given, listed_date: given.listed_date ?? before?.instrument.listed_date ?? null }
            if (JSON.stringify(before) !== JSON.stringify({ instrument: i, source })) changed++
            rows.set(i.symbol, { instrument: i, source })
          }
          return changed
        }),
      listedBy: (market, source) =>
        Effect.sync(() =>
          [...rows.values()]
            .filter((r) => r.instrument.market === market && r.source === source && r.instrument.delisted_date === null)
            .map((r) => r.instrument.symbol)
            .sort()
        ),
      markDelisted: (symbols, date) =>
        Effect.sync(() => {
          let changed = 0
          for (const symbol of symbols) {
            const row = rows.get(symbol)
            if (row === undefined || row.instrument.delisted_date !== null) continue
            rows.set(symbol, { ...row, instrument: { ...row.instrument, delisted_date: date } })
            changed++
          }
          return changed
        })
    })
  })
}
