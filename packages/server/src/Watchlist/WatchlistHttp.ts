import { MarketgateApi } from "@marketgate/domain/Api"
import { DataUnavailable, InvalidRequest, Unauthorized } from "@marketgate/domain/ApiErrors"
import { Caller, type CallerInfo } from "@marketgate/domain/AuthApi"
import { Forbidden } from "@marketgate/domain/AuthErrors"
import { MAX_WATCHLIST, type Watchlist } from "@marketgate/domain/Watchlist"
import { Clock, Effect, Option } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { InstrumentCatalog } from "../Instruments/InstrumentCatalog.ts"
import type { StoreError } from "../Store/StoreError.ts"
import { WatchlistRepo } from "./WatchlistRepo.ts"

const unavailable = (_: StoreError) =>
  new DataUnavailable({ message: "the watchlist is unavailable right now (the store cannot be reached); try again once GET /ready answers 200" })

/** A watchlist belongs to a person signed in with a session (or a user's token): whose it is. */
const ownerOf = (caller: CallerInfo) =>
  caller.kind === "user" && caller.id !== undefined
    ? Effect.succeed(caller.id)
    : caller.kind === "anonymous"
    ? Effect.fail(new Unauthorized({ message: "a watchlist belongs to a person: log in first with POST /v1/auth/login" }))
    : Effect.fail(new Forbidden({ message: "watchlists are kept for people's accounts, not API clients; keep a client's symbols on its own side" }))

const listUnknown = (unknown: ReadonlyArray<string>) =>
  new InvalidRequest({
    message: `unknown symbols: ${unknown.slice(0, 10).join(", ")}${unknown.length > 10 ? ` and ${unknown.length - 10} more` : ""}; list known symbols with GET /v1/instruments?q=`
  })

export const WatchlistHttp = HttpApiBuilder.group(
  MarketgateApi,
  "watchlist",
  Effect.fn(function*(handlers) {
    const repo = yield* WatchlistRepo
    const catalog = yield* InstrumentCatalog

    /** The stored list with each instrument's name (a symbol no longer listed keeps its code as name). */
    const answer = Effect.fn("Watchlist.answer")(function*(userId: string) {
      const rows = yield* repo.list(userId).pipe(Effect.mapError(unavailable))
      const items = yield* Effect.forEach(rows, (row) =>
        Effect.map(Effect.option(catalog.lookup(row.symbol)), (found) => ({
          symbol: row.symbol,
          name: Option.match(found, { onNone: () => row.symbol, onSome: (i) => i.name }),
          market: row.symbol.endsWith(".US") ? "US" as const : "CN" as const,
          added_at: new Date(row.addedAt).toISOString()
        })))
      const list: Watchlist = { items, max: MAX_WATCHLIST }
      return list
    })

    return handlers
      .handle("get", () =>
        Effect.gen(function*() {
          return yield* answer(yield* ownerOf(yield* Caller))
        }))
      .handle("replace", ({ payload }) =>
        Effect.gen(function*() {
          const userId = yield* ownerOf(yield* Caller)
          const found = yield* Effect.forEach(payload.symbols, (s) => Effect.option(catalog.lookup(s)), { concurrency: 8 })
          const unknown = payload.symbols.filter((_, i) => Option.isNone(found[i]!))
          if (unknown.length > 0) return yield* listUnknown(unknown)
          yield* repo.replace(userId, payload.symbols, yield* Clock.currentTimeMillis).pipe(Effect.mapError(unavailable))
          return yield* answer(userId)
        }))
      .handle("add", ({ params }) =>
        Effect.gen(function*() {
          const userId = yield* ownerOf(yield* Caller)
          // An unknown symbol answers 404 (UnknownSymbol) with its sentence.
          yield* catalog.lookup(params.symbol)
          const added = yield* repo.add(userId, params.symbol, yield* Clock.currentTimeMillis, MAX_WATCHLIST).pipe(Effect.mapError(unavailable))
          const list = yield* answer(userId)
          if (!added && !list.items.some((i) => i.symbol === params.symbol)) {
            return yield* new InvalidRequest({
              message: `the watchlist is full (${MAX_WATCHLIST} symbols); remove one with DELETE /v1/watchlist/{symbol} before adding ${params.symbol}`
            })
          }
          return list
        }))
      .handle("remove", ({ params }) =>
        Effect.gen(function*() {
          const userId = yield* ownerOf(yield* Caller)
          yield* repo.remove(userId, params.symbol).pipe(Effect.mapError(unavailable))
          return yield* answer(userId)
        }))
  })
)
