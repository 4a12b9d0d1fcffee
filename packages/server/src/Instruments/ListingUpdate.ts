import { fromDayNumber } from "@marketgate/domain/CalendarDate"
import { marketIndices } from "@marketgate/domain/Indices"
import { Clock, Effect } from "effect"
import type { TradingCalendars } from "../Calendar/TradingCalendars.ts"
import type { Listing } from "../Sources/SourceRouter.ts"
import type { InstrumentRepo } from "../Store/InstrumentRepo.ts"
import type { StoreError } from "../Store/StoreError.ts"

/** What one refresh did, per listing source. */
export interface ListingOutcome {
  readonly source: string
  readonly listed: number
  readonly changed: number
  readonly delisted: ReadonlyArray<string>
  /** Why symbols that disappeared were not marked delisted, if they were not. */
  readonly refused?: string | undefined
  readonly error?: string | undefined
}

/**
 * Which symbols a listing no longer has, of those its source listed before;
 * none when it lost more than `maxShare` of them at once, which looks like a
 * cut-short listing rather than a wave of delistings.
 */
export const planDelisting = (before: ReadonlyArray<string>, present: ReadonlySet<string>, maxShare: number) => {
  const gone = before.filter((s) => !present.has(s))
  // A handful of delistings is normal whatever the size of the listing.
  const allowed = Math.max(20, Math.floor(before.length * maxShare))
  return gone.length > allowed
    ? { gone: [], refused: `${gone.length} of ${before.length} listed symbols disappeared at once (more than ${allowed}); not marking them delisted` }
    : { gone, refused: undefined }
}

/** The market indices every catalog holds. */
export const upsertIndices = (repo: InstrumentRepo["Service"]) => repo.upsert(marketIndices, "builtin")

/**
 * Stores each listing as its source gave it, and marks delisted (with the
 * exchange's date) what a complete listing no longer has. A failed or
 * partial listing changes no delisting.
 */
export const applyListings = (
  repo: InstrumentRepo["Service"],
  calendars: TradingCalendars["Service"],
  listings: ReadonlyArray<Listing>,
  maxShare: number
): Effect.Effect<ReadonlyArray<ListingOutcome>, StoreError> =>
  Effect.forEach(listings, (listing) =>
    Effect.gen(function*() {
      if (listing.result._tag === "Failure") {
        return { source: listing.source, listed: 0, changed: 0, delisted: [], error: listing.result.failure.message }
      }
      const { complete, instruments } = listing.result.success
      const changed = yield* repo.upsert(instruments, listing.source)
      if (!complete) {
        return { source: listing.source, listed: instruments.length, changed, delisted: [], refused: "the listing was incomplete" }
      }
      const present = new Set(instruments.map((i) => i.symbol))
      const now = yield* Clock.currentTimeMillis
      const delisted: Array<string> = []
      let refused: string | undefined
      for (const market of listing.markets) {
        const before = yield* repo.listedBy(market, listing.source)
        const plan = planDelisting(before, present, maxShare)
        if (plan.refused !== undefined) refused = `${market}: ${plan.refused}`
        if (plan.gone.length === 0) continue
        const calendar = calendars.of(market === "US" ? "US" : "SH")
        yield* repo.markDelisted(plan.gone, fromDayNumber(calendar.localDayAt(now)))
        delisted.push(...plan.gone)
      }
      return { source: listing.source, listed: instruments.length, changed, delisted, refused }
    }))
