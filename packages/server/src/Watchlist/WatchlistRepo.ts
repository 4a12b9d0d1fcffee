import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import type { StoreError } from "../Store/StoreError.ts"
import { storeCall } from "../Store/StoreMetrics.ts"

/** One symbol on a person's watchlist. */
export interface WatchedSymbol {
  readonly symbol: string
  /** Unix millis. */
  readonly addedAt: number
}

/**
 * The `watchlist_items` table: each person's symbols in their order. Writes
 * are single statements (or one transaction), so two tabs of the same person
 * never leave a symbol twice or a list over its cap.
 */
export class WatchlistRepo extends Context.Service<WatchlistRepo, {
  /** The list in its order (oldest first among equal positions). */
  readonly list: (userId: string) => Effect.Effect<ReadonlyArray<WatchedSymbol>, StoreError>
  /** The whole list becomes `symbols`, in that order; symbols kept keep their `addedAt`. */
  readonly replace: (userId: string, symbols: ReadonlyArray<string>, now: number) => Effect.Effect<void, StoreError>
  /** Appends `symbol` unless it is there already or the list holds `max`; true when it was added. */
  readonly add: (userId: string, symbol: string, now: number, max: number) => Effect.Effect<boolean, StoreError>
  /** Takes `symbol` off; true when it was there. */
  readonly remove: (userId: string, symbol: string) => Effect.Effect<boolean, StoreError>
}>()("@marketgate/server/Watchlist/WatchlistRepo") {
  static readonly layer = Layer.effect(
    WatchlistRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const at = (ms: number) => new Date(ms).toISOString()
      return WatchlistRepo.of({
        list: (userId) =>
          sql<WatchedSymbol>`
            SELECT symbol, (extract(epoch FROM added_at) * 1000)::float8 AS "addedAt"
            FROM watchlist_items WHERE user_id = ${userId}
            ORDER BY position, added_at, symbol`.pipe(storeCall("watchlist.list")),
        replace: (userId, symbols, now) =>
          Effect.gen(function*() {
            yield* sql`DELETE FROM watchlist_items WHERE user_id = ${userId} AND NOT (symbol = ANY(${symbols}::text[]))`
            if (symbols.length === 0) return
            yield* sql`
              INSERT INTO watchlist_items (user_id, symbol, position, added_at)
              SELECT ${userId}, s.symbol, s.n - 1, ${at(now)} FROM unnest(${symbols}::text[]) WITH ORDINALITY AS s(symbol, n)
              ON CONFLICT (user_id, symbol) DO UPDATE SET position = excluded.position`
          }).pipe(sql.withTransaction, storeCall("watchlist.replace")),
        add: (userId, symbol, now, max) =>
          sql<{ symbol: string }>`
            INSERT INTO watchlist_items (user_id, symbol, position, added_at)
            SELECT ${userId}, ${symbol}, coalesce(max(position) + 1, 0), ${at(now)}
            FROM watchlist_items WHERE user_id = ${userId}
            HAVING count(*) < ${max}
            ON CONFLICT (user_id, symbol) DO NOTHING
            RETURNING symbol`.pipe(Effect.map((rows) => rows.length > 0), storeCall("watchlist.add")),
        remove: (userId, symbol) =>
          sql<{ symbol: string }>`DELETE FROM watchlist_items WHERE user_id = ${userId} AND symbol = ${symbol} RETURNING symbol`.pipe(
            Effect.map((rows) => rows.length > 0),
            storeCall("watchlist.remove")
          )
      })
    })
  )
}
