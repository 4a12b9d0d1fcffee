import type { DailyBar } from "@marketgate/domain/Bar"
import { type DayNumber, fromDayNumber } from "@marketgate/domain/CalendarDate"
import type { SourceDailyBar } from "../Sources/MarketDataSource.ts"
import type { DailyBarRow, PricedAction } from "../Store/DailyBarRepo.ts"
import { factorAt } from "./CorporateActions.ts"

/** A provider bar that passed the rules, with the provider that sent it (lineage). */
export interface Fetched {
  readonly bar: SourceDailyBar
  readonly from: string
}

export interface Assembly {
  readonly symbol: string
  readonly sessions: ReadonlyArray<DayNumber>
  readonly stored: ReadonlyMap<DayNumber, DailyBar>
  /** Accepted provider bars of missing sessions. */
  readonly fresh: ReadonlyMap<DayNumber, Fetched>
  /** Sessions whose provider bar was quarantined: never declared suspensions. */
  readonly rejected: ReadonlySet<DayNumber>
  readonly actions: ReadonlyArray<PricedAction>
  /** Whether a session closed long enough ago for the providers' silence about it to mean a suspension. */
  readonly settled: (day: DayNumber) => boolean
  /** The close before the range, needed only when the range opens suspended (`opensSuspended`). */
  readonly closeBeforeRange: DailyBar | undefined
  readonly now: number
  readonly ingestRunId: number | null
  /** The quality rules every accepted provider bar passed. */
  readonly rules: ReadonlyArray<string>
}

const isSuspension = (a: Omit<Assembly, "closeBeforeRange">, day: DayNumber) =>
  !a.stored.has(day) && !a.fresh.has(day) && a.settled(day) && !a.rejected.has(day)

/** Whether the first session is a suspension, so the close before the range is needed. */
export const opensSuspended = (a: Omit<Assembly, "closeBeforeRange">): boolean =>
  a.sessions.length > 0 && isSuspension(a, a.sessions[0]!)

/**
 * The served bars of every session, and the rows to store for those that were
 * missing. A session the provider answered without, long enough after its
 * close, was a suspension: a flat bar at the previous close, zero volume. A
 * rejected bar stays missing (asked again next time); it is not a suspension.
 */
export const assemble = (a: Assembly): { readonly rows: ReadonlyArray<DailyBarRow>; readonly served: ReadonlyArray<DailyBar>; readonly suspensions: number } => {
  const rows: Array<DailyBarRow> = []
  const served: Array<DailyBar> = []
  let previous: DailyBar | undefined = a.closeBeforeRange
  let suspensions = 0
  for (const day of a.sessions) {
    let bar: DailyBar | undefined = a.stored.get(day)
    if (bar === undefined) {
      const date = fromDayNumber(day)
      const got = a.fresh.get(day)
      if (got !== undefined) {
        bar = { ...got.bar, adjFactor: factorAt(a.actions, date), suspended: false }
      } else if (isSuspension(a, day) && previous !== undefined) {
        const p = previous.close
        bar = { date, open: p, high: p, low: p, close: p, volume: 0, amount: 0, adjFactor: factorAt(a.actions, date), suspended: true }
        suspensions++
      }
      if (bar !== undefined) {
        const { adjFactor, amount, close, high, low, open, suspended, volume } = bar
        rows.push({
          symbol: a.symbol,
          date,
          open,
          high,
          low,
          close,
          volume,
          amount,
          adjFactor,
          suspended,
          source: got?.from ?? "calendar",
          fetchedAt: a.now,
          ingestRunId: a.ingestRunId,
          // A synthesised suspension was not checked by any rule.
          checks: got === undefined ? [] : a.rules
        })
      }
    }
    if (bar !== undefined) {
      served.push(bar)
      previous = bar
    }
  }
  return { rows, served, suspensions }
}
