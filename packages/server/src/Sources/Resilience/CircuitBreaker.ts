import { Clock, Duration, Effect, Exit, Ref } from "effect"
import { SourceError } from "../MarketDataSource.ts"
import * as Machine from "./BreakerMachine.ts"

export interface CircuitBreaker {
  /** Runs the call if the breaker admits it; `classify` says what its exit means for the provider's health. */
  readonly execute: <A>(
    operation: string,
    call: Effect.Effect<A, SourceError>,
    classify: (exit: Exit.Exit<A, SourceError>) => Machine.Outcome
  ) => Effect.Effect<A, SourceError>
  readonly state: Effect.Effect<Machine.BreakerState>
  /** Whether a call would be admitted now (closed, a probe slot free, or the opening over). */
  readonly admits: Effect.Effect<boolean>
  /** Whether the next admitted call would be a half-open probe. */
  readonly probing: Effect.Effect<boolean>
}

/**
 * One provider's breaker: the pure machine of BreakerMachine.ts in a Ref, time
 * from the Clock (so TestClock drives it), transitions reported to `onTransition`.
 */
export const makeCircuitBreaker = (
  source: string,
  settings: Machine.BreakerSettings,
  onTransition: (transition: Machine.Transition) => Effect.Effect<void>
) =>
  Effect.gen(function*() {
    const state = yield* Ref.make<Machine.BreakerState>(Machine.initial)
    const report = (t: Machine.Transition | undefined) => (t === undefined ? Effect.void : onTransition(t))

    const execute = <A>(
      operation: string,
      call: Effect.Effect<A, SourceError>,
      classify: (exit: Exit.Exit<A, SourceError>) => Machine.Outcome
    ): Effect.Effect<A, SourceError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const [admission, transition] = yield* Ref.modify(state, (s) => {
            const [a, next, t] = Machine.admit(settings, s, now)
            return [[a, t] as const, next]
          })
          yield* report(transition)
          if (!admission.admitted) {
            return yield* new SourceError({
              source,
              operation,
              reason: "CircuitOpen",
              message: `${source} is failing; its circuit breaker is open`,
              retryable: false,
              retryAfter: Duration.millis(admission.retryAfterMs)
            })
          }
          const exit = yield* Effect.exit(restore(call))
          const outcome: Machine.Outcome = Exit.isFailure(exit) && exit.cause.reasons.every((r) => r._tag === "Interrupt")
            ? { _tag: "Ignored" }
            : classify(exit)
          const done = yield* Clock.currentTimeMillis
          const recorded = yield* Ref.modify(state, (s) => {
            const [next, t] = Machine.record(settings, s, admission, outcome, done)
            return [t, next]
          })
          yield* report(recorded)
          return yield* exit
        })
      )

    const admits = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const s = yield* Ref.get(state)
      return Machine.admit(settings, s, now)[0].admitted
    })

    const probing = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const [admission] = Machine.admit(settings, yield* Ref.get(state), now)
      return admission.admitted && admission.probe
    })

    return { execute, state: Ref.get(state), admits, probing } satisfies CircuitBreaker
  })
