import type { DailyBar } from "@marketgate/domain/Bar"
import { type DayNumber, fromDayNumber } from "@marketgate/domain/CalendarDate"
import { Effect, Option } from "effect"
import { timedStep } from "../Observability/StepTimings.ts"
import type { DailyBarRepo, DailyBarRow, PricedAction } from "../Store/DailyBarRepo.ts"
import type { IngestMetrics } from "./IngestMetrics.ts"

/**
 * DailyHistory's reads and writes of the store, degraded rather than failed:
 * a failed read is "the store holds nothing" (the provider still answers), a
 * failed write is logged and counted as unsaved (a reader still gets the
 * bars; a job hears they were not kept).
 */
export const makeDailyStore = (repo: DailyBarRepo["Service"], ingest: IngestMetrics["Service"]) => ({
  range: (symbol: string, from: DayNumber, to: DayNumber): Effect.Effect<ReadonlyArray<DailyBar>> =>
    repo.range(symbol, fromDayNumber(from), fromDayNumber(to)).pipe(
      Effect.catch((error) =>
        Effect.logWarning("store read failed; fetching the range from the provider").pipe(
          Effect.annotateLogs({ symbol, error: error.message }),
          Effect.as([] as ReadonlyArray<DailyBar>)
        )
      )
    ),
  actions: (symbol: string): Effect.Effect<ReadonlyArray<PricedAction>> =>
    repo.actions(symbol).pipe(Effect.orElseSucceed((): ReadonlyArray<PricedAction> => [])),
  lastBefore: (symbol: string, date: string): Effect.Effect<DailyBar | undefined> =>
    repo.lastBefore(symbol, date).pipe(Effect.map(Option.getOrUndefined), Effect.orElseSucceed(() => undefined)),
  write: (symbol: string, rows: ReadonlyArray<DailyBarRow>): Effect.Effect<{ readonly written: number; readonly unsaved: number }> =>
    rows.length === 0
      ? Effect.succeed({ written: 0, unsaved: 0 })
      : timedStep("db_write", repo.upsert(rows)).pipe(
        Effect.map((written) => {
          for (const row of rows) ingest.bars.inc({ source: row.source, kind: "daily" })
          return { written, unsaved: 0 }
        }),
        Effect.catch((error) =>
          Effect.logWarning("store write failed; serving the fetched bars anyway").pipe(
            Effect.annotateLogs({ symbol, error: error.message }),
            Effect.as({ written: 0, unsaved: rows.length })
          )
        )
      )
})
