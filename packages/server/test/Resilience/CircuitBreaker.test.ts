import { assert, describe, it } from "@effect/vitest"
import { Clock, Deferred, Duration, Effect, Exit, Fiber, Ref } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { SourceError } from "../../src/Sources/MarketDataSource.ts"
import type { BreakerSettings, Outcome, StateName, Transition } from "../../src/Resilience/BreakerMachine.ts"
import { makeCircuitBreaker } from "../../src/Resilience/CircuitBreaker.ts"

const settings: BreakerSettings = {
  consecutiveFailures: 3,
  failureRate: 0.5,
  windowSize: 6,
  minimumCalls: 4,
  openMs: 1_000,
  maxOpenMs: 8_000
}

/**
 * The specification, written independently of BreakerMachine.ts: a plain
 * mutable model that the real breaker (Effect service + TestClock) must match
 * after every step.
 */
class Model {
  state: StateName = "Closed"
  consecutive = 0
  window: Array<boolean> = []
  retryAt = 0
  openings = 0
  probing = false
  generation = 0
  transitions: Array<string> = []

  private open(now: number, hint: number) {
    this.openings++
    const base = Math.min(settings.maxOpenMs, settings.openMs * 2 ** (this.openings - 1))
    this.retryAt = now + Math.max(base, Math.min(hint, settings.maxOpenMs))
    this.transitions.push(`${this.state}->Open`)
    this.state = "Open"
    this.generation++
  }

  admit(now: number): { admitted: boolean; probe: boolean; generation: number } {
    if (this.state === "Open" && now >= this.retryAt) {
      this.transitions.push("Open->HalfOpen")
      this.state = "HalfOpen"
      this.generation++
      this.probing = false
    }
    if (this.state === "Closed") return { admitted: true, probe: false, generation: this.generation }
    // One probe at a time.
    if (this.state === "HalfOpen" && !this.probing) {
      this.probing = true
      return { admitted: true, probe: true, generation: this.generation }
    }
    return { admitted: false, probe: false, generation: this.generation }
  }

  complete(call: { probe: boolean; generation: number }, outcome: "success" | "failure" | "ignored", now: number) {
    if (call.generation !== this.generation) return
    if (this.state === "Closed") {
      if (outcome === "ignored") return
      this.window = [...this.window, outcome === "failure"].slice(-settings.windowSize)
      this.consecutive = outcome === "failure" ? this.consecutive + 1 : 0
      const rate = this.window.filter((f) => f).length / this.window.length
      if (
        outcome === "failure" &&
        (this.consecutive >= settings.consecutiveFailures ||
          (this.window.length >= settings.minimumCalls && rate >= settings.failureRate))
      ) {
        this.openings = 0
        this.open(now, 0)
      }
    } else if (this.state === "HalfOpen" && call.probe) {
      if (outcome === "ignored") this.probing = false
      else if (outcome === "success") {
        this.transitions.push("HalfOpen->Closed")
        this.state = "Closed"
        this.generation++
        this.consecutive = 0
        this.window = []
        this.openings = 0
      } else {
        this.open(now, 0)
      }
    }
  }
}

type Command =
  | { readonly _tag: "start" }
  | { readonly _tag: "finish"; readonly pick: number; readonly outcome: "success" | "failure" | "ignored" }
  | { readonly _tag: "advance"; readonly ms: number }

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Command>({ _tag: "start" }) },
  {
    weight: 4,
    arbitrary: fc.record({
      _tag: fc.constant("finish" as const),
      pick: fc.nat(),
      outcome: fc.constantFrom("success" as const, "failure" as const, "failure" as const, "ignored" as const)
    })
  },
  { weight: 2, arbitrary: fc.record({ _tag: fc.constant("advance" as const), ms: fc.integer({ min: 1, max: 9_000 }) }) }
)

const rejected = (retryAfterMs: number) =>
  new SourceError({
    source: "p",
    operation: "quotes",
    reason: "CircuitOpen",
    message: "open",
    retryable: false,
    retryAfter: Duration.millis(retryAfterMs)
  })

const failWith = (reason: "Unavailable" | "NotFound") =>
  new SourceError({ source: "p", operation: "quotes", reason, message: reason, retryable: false })

/** Runs a command sequence against the real breaker and the model, comparing after every step. */
const check = (commands: ReadonlyArray<Command>) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(0)
    const seen: Array<Transition> = []
    const breaker = yield* makeCircuitBreaker(settings, (t) => Effect.sync(() => void seen.push(t)))
    const model = new Model()
    const inFlight: Array<{
      readonly done: Deferred.Deferred<void, SourceError>
      readonly fiber: Fiber.Fiber<void, SourceError>
      readonly call: { probe: boolean; generation: number }
    }> = []
    let now = 0
    for (const c of commands) {
      if (c._tag === "advance") {
        now += c.ms
        yield* TestClock.adjust(Duration.millis(c.ms))
      } else if (c._tag === "start") {
        const expected = model.admit(now)
        const done = yield* Deferred.make<void, SourceError>()
        const started = yield* Ref.make(false)
        const fiber = yield* Effect.forkChild(
          breaker.execute(
            Effect.andThen(Ref.set(started, true), Deferred.await(done)),
            (exit): Outcome =>
              Exit.isSuccess(exit)
                ? { _tag: "Success" }
                : exit.cause.reasons.some((r) => r._tag === "Fail" && r.error.reason === "NotFound")
                ? { _tag: "Ignored" }
                : { _tag: "Failure" },
            rejected
          )
        )
        yield* Effect.yieldNow
        const admitted = yield* Ref.get(started)
        assert.strictEqual(admitted, expected.admitted, `admission at ${now} in ${model.state}`)
        if (admitted) inFlight.push({ done, fiber, call: expected })
        else {
          const exit = yield* Fiber.await(fiber)
          assert.isTrue(Exit.isFailure(exit))
        }
      } else if (inFlight.length > 0) {
        const [call] = inFlight.splice(c.pick % inFlight.length, 1)
        yield* Deferred.done(
          call!.done,
          c.outcome === "success" ? Exit.void : Exit.fail(failWith(c.outcome === "ignored" ? "NotFound" : "Unavailable"))
        )
        yield* Fiber.await(call!.fiber)
        model.complete(call!.call, c.outcome, now)
      }
      const actual = yield* breaker.state
      assert.strictEqual(actual._tag, model.state)
      if (actual._tag === "Open") assert.strictEqual(actual.retryAt, model.retryAt)
      // Never more than the one probe in flight.
      if (actual._tag === "HalfOpen") assert.strictEqual(actual.probing, model.probing)
      assert.deepStrictEqual(seen.map((t) => `${t.from}->${t.to}`), model.transitions)
    }
    for (const { done, fiber } of inFlight) {
      yield* Deferred.done(done, Exit.void)
      yield* Fiber.await(fiber)
    }
  })

describe("circuit breaker state machine", () => {
  it.effect("property: for any sequence of outcomes and clock steps, the breaker follows the specification", () =>
    Effect.gen(function*() {
      const services = yield* Effect.context<never>()
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(command, { minLength: 20, maxLength: 80, size: "max" }), (commands) =>
            Effect.runPromiseWith(services)(check(commands).pipe(Effect.provide(TestClock.layer())))),
          { numRuns: 300, seed: 42 }
        )
      )
    }))

  it.effect("only these transitions exist, and a successful probe never leaves it open", () =>
    Effect.gen(function*() {
      const seen: Array<Transition> = []
      const breaker = yield* makeCircuitBreaker(settings, (t) => Effect.sync(() => void seen.push(t)))
      const fail = breaker.execute(Effect.fail(failWith("Unavailable")), () => ({ _tag: "Failure" }), rejected)
      const ok = breaker.execute(Effect.void as Effect.Effect<void, SourceError>, () => ({ _tag: "Success" }), rejected)
      for (let i = 0; i < 3; i++) yield* Effect.flip(fail)
      assert.strictEqual((yield* breaker.state)._tag, "Open")
      const refused = yield* Effect.flip(ok)
      assert.strictEqual(refused.reason, "CircuitOpen")
      assert.strictEqual(Duration.toMillis(refused.retryAfter!), 1_000)
      yield* TestClock.adjust("1 second")
      yield* ok
      assert.strictEqual((yield* breaker.state)._tag, "Closed")
      assert.deepStrictEqual(seen.map((t) => `${t.from}->${t.to}`), ["Closed->Open", "Open->HalfOpen", "HalfOpen->Closed"])
    }))

  it.effect("a failed probe reopens for twice as long, capped", () =>
    Effect.gen(function*() {
      const breaker = yield* makeCircuitBreaker(settings, () => Effect.void)
      const fail = breaker.execute(Effect.fail(failWith("Unavailable")), () => ({ _tag: "Failure" }), rejected)
      for (let i = 0; i < 3; i++) yield* Effect.flip(fail)
      const openings: Array<number> = []
      for (let i = 0; i < 5; i++) {
        const s = yield* breaker.state
        assert.strictEqual(s._tag, "Open")
        if (s._tag !== "Open") return
        const wait = s.retryAt - (yield* Clock.currentTimeMillis)
        openings.push(wait)
        yield* TestClock.adjust(Duration.millis(wait))
        yield* Effect.flip(fail)
      }
      assert.deepStrictEqual(openings, [1_000, 2_000, 4_000, 8_000, 8_000])
    }))
})
