import { DataUnavailable, NoData } from "@marketgate/domain/ApiErrors"
import { fromDayNumber } from "@marketgate/domain/CalendarDate"
import type { Instrument } from "@marketgate/domain/Instrument"
import { Effect } from "effect"
import type { MarketDataSource, SourceError } from "../Sources/MarketDataSource.ts"
import type { ReportedAction } from "./CorporateActions.ts"
import type { Span } from "./SessionPlan.ts"
import type { Fetched } from "./Suspensions.ts"

/** A provider failure as the reader sees it: nobody has the data (404), or nobody could be asked (503). */
const unavailable = (instrument: Instrument, error: SourceError) =>
  error.reason === "NotFound"
    ? new NoData({ message: `no provider has daily bars for ${instrument.symbol} (${error.message})` })
    : new DataUnavailable({
      message: `no provider could supply daily bars for ${instrument.symbol} (${error.source}: ${error.message}); ` +
        "try again shortly"
    })

/** One provider request per run of missing sessions, two at a time; each bar and action keeps the provider that sent it (lineage). */
export const fetchRuns = (source: MarketDataSource["Service"], instrument: Instrument, runs: ReadonlyArray<Span>) =>
  Effect.forEach(
    runs,
    (run) => source.dailyBars(instrument.symbol, fromDayNumber(run.first), fromDayNumber(run.last)),
    { concurrency: 2 }
  ).pipe(
    Effect.map((chunks) => ({
      bars: chunks.flatMap((c) => c.bars.map((bar): Fetched => ({ bar, from: c.source ?? source.name }))),
      actions: chunks.flatMap((c) => c.actions.map((action): ReportedAction => ({ action, from: c.source ?? source.name })))
    })),
    Effect.mapError((error) => unavailable(instrument, error))
  )
