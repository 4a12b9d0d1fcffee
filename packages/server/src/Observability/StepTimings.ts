import { Clock, Context, Effect } from "effect"

/**
 * The steps of ingest work an operator wants timed separately, so a slow one
 * stands out in a job's log lines: waiting for a provider's bulkhead and rate
 * limiter, the provider's request, decoding its answer, and writing the store.
 */
export type Step = "pool_wait" | "request" | "decode" | "db_write"

export interface StepTotals {
  /** Milliseconds per step, summed over the work measured. */
  readonly ms: Readonly<Record<Step, number>>
  readonly providerCalls: number
}

interface Accumulator {
  readonly add: (step: Step, ms: number) => void
  readonly call: () => void
}

const ignore: Accumulator = { add: () => {}, call: () => {} }

/**
 * Where timings go: nowhere unless a caller collects them (`collectSteps`).
 * Collections nest: a batch collects what each symbol's fill collects.
 */
export const StepTimings = Context.Reference<Accumulator>("@marketgate/server/Observability/StepTimings", {
  defaultValue: () => ignore
})

/** Times `effect` as `step` for whoever is collecting. */
export const timedStep = <A, E, R>(step: Step, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.gen(function*() {
    const sink = yield* StepTimings
    if (sink === ignore) return yield* effect
    const started = yield* Clock.currentTimeNanos
    return yield* effect.pipe(
      Effect.ensuring(Effect.map(Clock.currentTimeNanos, (now) => sink.add(step, Number(now - started) / 1e6)))
    )
  })

/** Records `ms` of `step` measured by the caller. */
export const recordStep = (step: Step, ms: number) => Effect.map(StepTimings, (sink) => sink.add(step, ms))

/** Counts one provider call for whoever is collecting. */
export const countProviderCall = Effect.map(StepTimings, (sink) => sink.call())

/**
 * A collector of step timings: `measure` runs effects under it, `totals`
 * sums what they did. What it collects is passed on to an outer collector.
 */
export const makeStepCollector = Effect.map(StepTimings, (outer) => {
  const ms: Record<Step, number> = { pool_wait: 0, request: 0, decode: 0, db_write: 0 }
  let providerCalls = 0
  const inner: Accumulator = {
    add: (step, t) => {
      ms[step] += t
      outer.add(step, t)
    },
    call: () => {
      providerCalls++
      outer.call()
    }
  }
  return {
    measure: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provideService(effect, StepTimings, inner),
    totals: (): StepTotals => ({ ms: { ...ms }, providerCalls })
  }
})

/** Runs `effect` collecting the step timings of everything it does. */
export const collectSteps = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<readonly [A, StepTotals], E, R> =>
  Effect.gen(function*() {
    const collector = yield* makeStepCollector
    const value = yield* collector.measure(effect)
    return [value, collector.totals()] as const
  })

/** Log fields of step totals: `pool_wait_ms`, `request_ms`, `decode_ms`, `db_write_ms`, `provider_calls`. */
export const stepFields = (totals: StepTotals) => ({
  pool_wait_ms: Math.round(totals.ms.pool_wait),
  request_ms: Math.round(totals.ms.request),
  decode_ms: Math.round(totals.ms.decode),
  db_write_ms: Math.round(totals.ms.db_write),
  provider_calls: totals.providerCalls
})
