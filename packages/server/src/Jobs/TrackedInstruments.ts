import type { Instrument } from "@marketgate/domain/Instrument"
import type { Market } from "@marketgate/domain/Symbol"
import { Context, Effect, Layer, Option } from "effect"
import { InstrumentCatalog } from "../Instruments/InstrumentCatalog.ts"
import { DailyBarRepo } from "../Store/DailyBarRepo.ts"

/**
 * The instruments marketgate keeps history for: every symbol with stored
 * daily bars that the catalog still knows. Scheduled sync and the integrity
 * check work on these; a backfill adds to them.
 */
export class TrackedInstruments extends Context.Service<TrackedInstruments, {
  readonly list: (market?: Market) => Effect.Effect<ReadonlyArray<Instrument>>
}>()("@marketgate/server/Jobs/TrackedInstruments") {
  static readonly layer = Layer.effect(
    TrackedInstruments,
    Effect.gen(function*() {
      const repo = yield* DailyBarRepo
      const catalog = yield* InstrumentCatalog
      const list = Effect.fn("TrackedInstruments.list")(function*(market?: Market) {
        const symbols = yield* repo.symbols.pipe(
          Effect.catch((error) =>
            Effect.logWarning("could not list tracked symbols; nothing to do this time").pipe(
              Effect.annotateLogs({ error: error.message }),
              Effect.as([] as ReadonlyArray<string>)
            )
          )
        )
        const found = yield* Effect.forEach(symbols, (s) => Effect.option(catalog.lookup(s)))
        return found.flatMap((i) => (Option.isSome(i) && (market === undefined || i.value.market === market) ? [i.value] : []))
      })
      return TrackedInstruments.of({ list })
    })
  )
}
