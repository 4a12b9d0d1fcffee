import { Context, Effect, Layer } from "effect"
import { InstrumentCatalog } from "../Instruments/InstrumentCatalog.ts"
import * as JobResult from "./JobResult.ts"
import { type JobOutcome, JobRunner } from "./JobRunner.ts"

/**
 * Once a day, every listing source's list again: new listings join the
 * catalog, and a symbol its source no longer lists gets its `delisted_date`
 * (it is never deleted: its history stays served).
 */
export class ListingRefresh extends Context.Service<ListingRefresh, {
  readonly run: (trigger: string) => Effect.Effect<JobOutcome>
}>()("@marketgate/server/Jobs/ListingRefresh") {
  static readonly layer = Layer.effect(
    ListingRefresh,
    Effect.gen(function*() {
      const runner = yield* JobRunner
      const catalog = yield* InstrumentCatalog
      return ListingRefresh.of({
        run: (trigger) =>
          runner.run({ kind: "listing_refresh", trigger, params: {} }, () =>
            Effect.map(catalog.refresh, (results) => {
              const counts = {
                sources: results.length,
                listed: results.reduce((n, r) => n + r.listed, 0),
                changed: results.reduce((n, r) => n + r.changed, 0),
                delisted: results.reduce((n, r) => n + r.delisted.length, 0),
                failed: results.filter((r) => r.error !== undefined).length
              }
              // A source whose listing failed leaves the run failed (and alerting); the others are kept.
              return counts.failed > 0
                ? JobResult.incomplete(
                  counts,
                  `${counts.failed} of ${counts.sources} listing sources failed (see the warnings of this run); the next run retries them`
                )
                : JobResult.complete(counts)
            }))
      })
    })
  )
}
