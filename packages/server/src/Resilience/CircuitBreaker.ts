import { Clock, Effect, Exit, Ref } from "effect"
import * as Machine from "./BreakerMachine.ts"

export interface CircuitBreaker {
  /**
   * Runs the call if the breaker admits it, else fails with `reject(retryAfterMs)`
   * without running it; `classify` says what the call's exit means for the
   * dependency's health.
   */
  readonly execute: <A, E, R>(
    call: Effect.Effect<A, E, R>,
    classify: (exit: Exit.Exit<A, E>) => Machine.Outcome,
    reject: (retryAfterMs: number) => E
  ) => Effect.Effect<A, E, R>
  readonly state: Effect.Effect<Machine.BreakerState>
  /** Whether a call would be admitted now (closed, a probe slot free, or the opening over). */
  readonly admits: Effect.Effect<boolean>
  /** Whether the next admitted call would be a half-open probe. */
  readonly probing: Effect.Effect<boolean>
}

/**
 * One dependency's breaker: the pure machine of BreakerMachine.ts in a Ref,
 * time from the Clock (so TestClock drives it), transitions reported to
 * `onTransition`. Used for every provider and for the Redis cache tier.
 */
export const makeCircuitBreaker = (
  settings: Machine.BreakerSettings,
  onTransition: (transition: Machine.Transition) => Effect.Effect<void>
) =>
  Effect.gen(function*() {
    const state = yield* Ref.make<Machine.BreakerState>(Machine.initial)
    const report = (t: Machine.Transition | undefined) => (t === undefined ? Effect.void : onTransition(t))

    const execute = <A, E, R>(
      call: Effect.Effect<A, E, R>,
      classify: (exit: Exit.Exit<A, E>) => Machine.Outcome,
      reject: (retryAfterMs: number) => E
    ): Effect.Effect<A, E, R> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const [admission, transition] = yield* Ref.modify(state, (s) => {
            const [a, next, t] = Machine.admit(settings, s, now)
            return [[a, t] as const, next]
          })
          yield* report(transition)
          if (!admission.admitted) return yield* Effect.fail(reject(admission.retryAfterMs))
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

    const admission = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      return Machine.admit(settings, yield* Ref.get(state), now)[0]
    })

    return {
      execute,
      state: Ref.get(state),
      admits: Effect.map(admission, (a) => a.admitted),
      probing: Effect.map(admission, (a) => a.admitted && a.probe)
    } satisfies CircuitBreaker
  })
