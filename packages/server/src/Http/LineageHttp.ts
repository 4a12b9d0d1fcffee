import { MarketgateApi } from "@marketgate/domain/Api"
import { DataUnavailable, NoData } from "@marketgate/domain/ApiErrors"
import { Effect, Option } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { InstrumentCatalog } from "../Instruments/InstrumentCatalog.ts"
import { DailyBarRepo } from "../Store/DailyBarRepo.ts"
import { IngestRunRepo } from "../Store/IngestRunRepo.ts"
import { QuarantineRepo } from "../Store/QuarantineRepo.ts"
import { jobRunAnswer } from "./JobRunAnswer.ts"

export const LineageHttp = HttpApiBuilder.group(
  MarketgateApi,
  "lineage",
  Effect.fn(function*(handlers) {
    const catalog = yield* InstrumentCatalog
    const bars = yield* DailyBarRepo
    const runs = yield* IngestRunRepo
    const quarantine = yield* QuarantineRepo
    return handlers.handle("get", ({ params, query }) =>
      Effect.gen(function*() {
        const instrument = yield* catalog.lookup(params.symbol)
        const storeDown = (error: { readonly message: string }) =>
          new DataUnavailable({ message: `the store could not be read (${error.message}); try again shortly` })
        const found = yield* bars.lineage(instrument.symbol, query.date).pipe(Effect.mapError(storeDown))
        if (Option.isNone(found)) {
          return yield* new NoData({
            message: `no stored bar of ${instrument.symbol} on ${query.date}; only stored daily bars have lineage (fetch it with GET /v1/bars/${instrument.symbol} first)`
          })
        }
        const { bar, checks, fetchedAt, ingestRunId, source } = found.value
        const run = ingestRunId === null ? undefined : yield* runs.get(ingestRunId).pipe(Effect.mapError(storeDown))
        const rejected = yield* quarantine.forBar(instrument.symbol, query.date).pipe(Effect.mapError(storeDown))
        return {
          symbol: params.symbol,
          date: query.date,
          bar: {
            open: bar.open,
            high: bar.high,
            low: bar.low,
            close: bar.close,
            volume: bar.volume,
            amount: bar.amount,
            adj_factor: bar.adjFactor,
            suspended: bar.suspended
          },
          source,
          fetched_at: fetchedAt,
          ingest_run: run === undefined ? null : jobRunAnswer(run),
          checks,
          quarantined: rejected.map((q) => ({ source: q.source, rule: q.rule, detail: q.detail, quarantined_at: q.quarantinedAt }))
        }
      }))
  })
)
