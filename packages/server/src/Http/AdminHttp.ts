import { Conflict, DataUnavailable, InvalidRequest } from "@marketgate/domain/ApiErrors"
import { MarketgateApi } from "@marketgate/domain/Api"
import { Effect, Option } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { MarketCache } from "../Cache/MarketCache.ts"
import { cacheKinds } from "../Cache/CachePolicy.ts"
import { InstrumentCatalog } from "../Instruments/InstrumentCatalog.ts"
import { Backfill } from "../Jobs/Backfill.ts"
import { Scheduler } from "../Jobs/Scheduler.ts"
import { IngestRunRepo } from "../Store/IngestRunRepo.ts"
import { jobRunAnswer } from "./JobRunAnswer.ts"

export const AdminHttp = HttpApiBuilder.group(
  MarketgateApi,
  "admin",
  Effect.fn(function*(handlers) {
    const cache = yield* MarketCache
    const runs = yield* IngestRunRepo
    const scheduler = yield* Scheduler
    const backfill = yield* Backfill
    const catalog = yield* InstrumentCatalog
    return handlers
      .handle("invalidateCache", ({ payload }) =>
        Effect.gen(function*() {
          const kinds = payload.kinds ?? cacheKinds
          // Every key of a symbol starts with the symbol; no symbols means every key.
          const prefixes = payload.symbols ?? [""]
          const invalidated = kinds.flatMap((kind) => prefixes.map((prefix) => ({ kind, prefix })))
          yield* Effect.forEach(invalidated, ({ kind, prefix }) => cache.invalidatePrefix(kind, prefix), { discard: true })
          yield* Effect.logInfo("cache invalidated").pipe(Effect.annotateLogs({ kinds: kinds.join(","), symbols: prefixes.join(",") }))
          return { invalidated }
        }))
      .handle("jobs", ({ query }) =>
        Effect.gen(function*() {
          // An empty list would say "no runs": with the store down, say that instead.
          const list = yield* runs.list({ kind: query.kind, limit: query.limit ?? 50 }).pipe(
            Effect.mapError((error) =>
              new DataUnavailable({ message: `job runs cannot be read because the store is unreachable (${error.message}); retry once GET /ready answers 200` })
            )
          )
          const schedule = yield* scheduler.entries
          return {
            runs: list.map(jobRunAnswer),
            schedule: schedule.map((e) => ({ name: e.name, cron: e.cron, time_zone: e.timeZone, next_run: e.nextRun }))
          }
        }))
      .handle("backfill", ({ payload }) =>
        Effect.gen(function*() {
          if (payload.symbols !== undefined) {
            const found = yield* Effect.forEach(payload.symbols, (s) => Effect.option(catalog.lookup(s)))
            const unknown = payload.symbols.filter((_, i) => Option.isNone(found[i]!))
            if (unknown.length > 0) {
              return yield* new InvalidRequest({
                message: `unknown symbols: ${unknown.slice(0, 10).join(", ")}${unknown.length > 10 ? ` and ${unknown.length - 10} more` : ""}; list known symbols with GET /v1/instruments?q=`
              })
            }
          }
          const started = yield* backfill.start(
            { symbols: payload.symbols, from: payload.from, to: payload.to, ratePerSecond: payload.rate_limit },
            "api"
          )
          if (started._tag === "Skipped") {
            return yield* new Conflict({ message: "a backfill is already running; follow it with GET /v1/admin/jobs?kind=backfill and retry when it has finished" })
          }
          if (started._tag === "NotStarted") {
            return yield* new DataUnavailable({
              message: `the backfill could not be started because the store is unreachable (${started.reason}); retry once GET /ready answers 200`
            })
          }
          yield* Effect.logInfo("backfill started").pipe(Effect.annotateLogs({ run_id: started.runId, from: payload.from, to: payload.to }))
          return { run_id: started.runId }
        }))
  })
)
