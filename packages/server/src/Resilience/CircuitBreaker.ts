import { Clock, Effect, Exit, MutableRef } from "effect"
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
  /** Whether a call would be admitted now (closed, no probe in flight, or the opening over). */
  readonly admits: Effect.Effect<boolean>
  /** Whether the next admitted call would be a half-open probe. */
  readonly probing: Effect.Effect<boolean>
}

/**
 * One dependency's breaker: the pure machine of BreakerMachine.ts in a
 * MutableRef, time from the Clock (so TestClock drives it), transitions
 * reported to `onTransition`. Used for every provider and for the Redis cache
 * tier, where it sits on every L1 miss: admission and recording are each one
 * synchronous step (no generator), which is a fifth of the cost of the
 * Ref-and-generator version per call (bench/cache).
 */
export const makeCircuitBreaker = (
  settings: Machine.BreakerSettings,
  onTransition: (transition: Machine.Transition) => Effect.Effect<void>
) =>
  Effect.sync(() => {
    const state = MutableRef.make<Machine.BreakerState>(Machine.initial)
    const ignored: Machine.Outcome = { _tag: "Ignored" }

    const execute = <A, E, R>(
      call: Effect.Effect<A, E, R>,
      classify: (exit: Exit.Exit<A, E>) => Machine.Outcome,
      reject: (retryAfterMs: number) => E
    ): Effect.Effect<A, E, R> =>
      // Uninterruptible between admission and the finaliser: an admitted call
      // (a half-open probe above all) always has its outcome recorded.
      Effect.uninterruptibleMask((restore) =>
        Effect.withFiber((fiber) => {
          const clock = fiber.getRef(Clock.Clock)
          const [admission, next, transition] = Machine.admit(MutableRef.get(state), clock.currentTimeMillisUnsafe())
          // A rejection changes neither the state nor reports a transition.
          if (!admission.admitted) return Effect.fail(reject(admission.retryAfterMs))
          MutableRef.set(state, next)
          const run = Effect.onExit(restore(call), (exit) => {
            const outcome = Exit.isFailure(exit) && exit.cause.reasons.every((r) => r._tag === "Interrupt") ? ignored : classify(exit)
            const [after, recorded] = Machine.record(settings, MutableRef.get(state), admission, outcome, clock.currentTimeMillisUnsafe())
            MutableRef.set(state, after)
            return recorded === undefined ? Effect.void : onTransition(recorded)
          })
          return transition === undefined ? run : Effect.andThen(onTransition(transition), run)
        })
      )

    const admission = Effect.clockWith((clock) =>
      Effect.sync(() => Machine.admit(MutableRef.get(state), clock.currentTimeMillisUnsafe())[0])
    )

    return {
      execute,
      state: Effect.sync(() => MutableRef.get(state)),
      admits: Effect.map(admission, (a) => a.admitted),
      probing: Effect.map(admission, (a) => a.admitted && a.probe)
    } satisfies CircuitBreaker
  })
