import { Effect } from "effect"
import type { CorporateAction } from "../Sources/MarketDataSource.ts"
import type { DailyBarRepo, PricedAction } from "../Store/DailyBarRepo.ts"

/** Cumulative adjustment factor of a date: the product of the factors of actions effective by then. */
export const factorAt = (actions: ReadonlyArray<PricedAction>, date: string): number =>
  actions.reduce((f, a) => (a.exDate <= date ? f * a.factor : f), 1)

/** A reported action and the provider that reported it. */
export interface ReportedAction {
  readonly action: CorporateAction
  readonly from: string
}

/**
 * Prices the reported actions (a split's factor is its ratio; a dividend's
 * needs the close before its ex-date, from `closeBefore`) and records them;
 * the store rescales the stored bars from each ex-date on. Answers how many
 * were recorded: more than 0 means stored prices changed scale. A failed
 * write is logged and records nothing.
 */
export const recordActions = (
  repo: DailyBarRepo["Service"],
  symbol: string,
  reported: ReadonlyArray<ReportedAction>,
  closeBefore: (exDate: string) => Effect.Effect<number | undefined>
): Effect.Effect<number> =>
  Effect.gen(function*() {
    const priced: Array<PricedAction> = []
    const providers = new Set(reported.map((r) => r.from))
    for (const { action: a } of reported) {
      if (a.kind === "split") {
        priced.push({ ...a, factor: a.numerator / a.denominator })
        continue
      }
      const previous = yield* closeBefore(a.exDate)
      if (previous === undefined || previous <= a.amount) {
        yield* Effect.logWarning("dividend left out: no usable close before its ex-date").pipe(
          Effect.annotateLogs({ symbol, ex_date: a.exDate, amount: a.amount })
        )
        continue
      }
      priced.push({ ...a, factor: previous / (previous - a.amount) })
    }
    if (priced.length === 0) return 0
    return yield* repo.recordActions(symbol, priced, [...providers].join(",")).pipe(
      Effect.catch((error) =>
        Effect.logWarning("recording corporate actions failed").pipe(
          Effect.annotateLogs({ symbol, error: error.message }),
          Effect.as(0)
        )
      )
    )
  })
