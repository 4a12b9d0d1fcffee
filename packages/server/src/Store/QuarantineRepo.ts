import type { IsoDate } from "@marketgate/domain/CalendarDate"
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import type { StoreError } from "./StoreError.ts"
import { storeCall } from "./StoreMetrics.ts"

/** A provider bar that failed a quality rule, as the provider sent it. */
export interface QuarantinedBar {
  readonly symbol: string
  readonly date: IsoDate
  readonly source: string
  readonly rule: string
  readonly detail: string
  readonly payload: unknown
  readonly ingestRunId: number | null
}

export interface QuarantineEntry extends QuarantinedBar {
  readonly quarantinedAt: string
}

/**
 * The `quality_quarantine` table: rejected bars kept for operators, never
 * served. One row per distinct (symbol, date, source, rule, payload): the
 * first time it was seen and by which run.
 */
export class QuarantineRepo extends Context.Service<QuarantineRepo, {
  readonly add: (bars: ReadonlyArray<QuarantinedBar>) => Effect.Effect<void, StoreError>
  readonly forBar: (symbol: string, date: IsoDate) => Effect.Effect<ReadonlyArray<QuarantineEntry>, StoreError>
}>()("@marketgate/server/Store/QuarantineRepo") {
  static readonly layer = Layer.effect(
    QuarantineRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient

      const add = Effect.fn("QuarantineRepo.add")(
        function*(bars: ReadonlyArray<QuarantinedBar>) {
          if (bars.length === 0) return
          const col = <K extends keyof QuarantinedBar>(k: K) => bars.map((b) => b[k])
          yield* sql`
            INSERT INTO quality_quarantine (symbol, date, source, rule, detail, payload, ingest_run_id)
            SELECT t.symbol, t.date, t.source, t.rule, t.detail, t.payload::jsonb, NULLIF(t.run, '')::bigint
            FROM unnest(
              ${col("symbol")}::text[], ${col("date")}::date[], ${col("source")}::text[], ${col("rule")}::text[],
              ${col("detail")}::text[], ${bars.map((b) => JSON.stringify(b.payload))}::text[],
              ${col("ingestRunId").map((id) => (id === null ? "" : String(id)))}::text[]
            ) AS t(symbol, date, source, rule, detail, payload, run)
            -- The same bad bar asked again (each read or job until a provider sends a good one) is kept once.
            WHERE NOT EXISTS (
              SELECT 1 FROM quality_quarantine q
              WHERE q.symbol = t.symbol AND q.date = t.date AND q.source = t.source AND q.rule = t.rule
                AND q.payload = t.payload::jsonb
            )`
        },
        storeCall("quality_quarantine.add")
      )

      const forBar = Effect.fn("QuarantineRepo.forBar")(
        function*(symbol: string, date: IsoDate) {
          const rows = yield* sql<{
            symbol: string
            date: string
            source: string
            rule: string
            detail: string
            payload: unknown
            ingestRunId: string | null
            quarantinedAt: string
          }>`
            SELECT symbol, to_char(date, 'YYYY-MM-DD') AS date, source, rule, detail, payload,
                   ingest_run_id::text AS "ingestRunId",
                   to_char(quarantined_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "quarantinedAt"
            FROM quality_quarantine WHERE symbol = ${symbol} AND date = ${date}::date ORDER BY id`
          return rows.map((r) => ({ ...r, ingestRunId: r.ingestRunId === null ? null : Number(r.ingestRunId) }))
        },
        storeCall("quality_quarantine.forBar")
      )

      return QuarantineRepo.of({ add, forBar })
    })
  )

  static readonly layerMemory = Layer.sync(QuarantineRepo, () => {
    const rows: Array<QuarantineEntry> = []
    return QuarantineRepo.of({
      add: (bars) => Effect.sync(() => void rows.push(...bars.map((b) => ({ ...b, quarantinedAt: new Date().toISOString() })))),
      forBar: (symbol, date) => Effect.sync(() => rows.filter((r) => r.symbol === symbol && r.date === date))
    })
  })
}
