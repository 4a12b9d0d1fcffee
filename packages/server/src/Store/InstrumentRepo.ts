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
}>()("@marketgate/server/Store/InstrumentRepo") {
  static readonly layer = Layer.effect(
    InstrumentRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient

      const all = sql`
        SELECT symbol, code, exchange, market, name, board, currency, lot_size,
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
                (symbol, code, exchange, market, name, board, currency, lot_size, listed_date, delisted_date, source, updated_at)
              SELECT t.symbol, t.code, t.exchange, t.market, t.name, t.board, t.currency, t.lot_size,
                     t.listed_date, NULLIF(t.delisted_date, '')::date, ${source}, now()
              FROM unnest(
                ${col("symbol")}::text[], ${col("code")}::text[], ${col("exchange")}::text[],
                ${col("market")}::text[], ${col("name")}::text[], ${col("board")}::text[],
                ${col("currency")}::text[], ${col("lot_size").map(String)}::int[], ${col("listed_date")}::date[],
                ${col("delisted_date").map((d) => d ?? "")}::text[]
              ) AS t(symbol, code, exchange, market, name, board, currency, lot_size, listed_date, delisted_date)
              ON CONFLICT (symbol) DO UPDATE SET
                code = excluded.code, exchange = excluded.exchange, market = excluded.market,
                name = excluded.name, board = excluded.board, currency = excluded.currency,
                lot_size = excluded.lot_size, listed_date = excluded.listed_date,
                delisted_date = excluded.delisted_date, source = excluded.source, updated_at = excluded.updated_at
              WHERE (instruments.name, instruments.board, instruments.lot_size, instruments.listed_date, instruments.delisted_date)
                IS DISTINCT FROM (excluded.name, excluded.board, excluded.lot_size, excluded.listed_date, excluded.delisted_date)
              RETURNING symbol`
            changed += rows.length
          }
          return changed
        },
        storeCall("instruments.upsert")
      )

      return InstrumentRepo.of({ all, upsert })
    })
  )

  /** In memory, for tests that swap the store out. */
  static readonly layerMemory = Layer.sync(InstrumentRepo, () => {
    const rows = new Map<string, Instrument>()
    return InstrumentRepo.of({
      all: Effect.sync(() => [...rows.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : 1))),
      upsert: (instruments) =>
        Effect.sync(() => {
          let changed = 0
          for (const i of instruments) {
            if (JSON.stringify(rows.get(i.symbol)) !== JSON.stringify(i)) changed++
            rows.set(i.symbol, i)
          }
          return changed
        })
    })
  })
}
