import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber } from "effect"
import { RateLimiter } from "effect/persistence"
import { TestClock } from "effect/testing"
import { makeAdaptiveRateLimiter, type RateLimitSettings } from "../../../src/Sources/Resilience/AdaptiveRateLimiter.ts"

const settings = (overrides: Partial<RateLimitSettings>): RateLimitSettings => ({
  maxPerSecond: 2,
  minPerSecond: 1,
  increasePerSuccess: 1,
  defaultBackoff: Duration.seconds(1),
  maxWait: Duration.millis(250),
  ...overrides
})

const limiter = (overrides: Partial<RateLimitSettings>) =>
  makeAdaptiveRateLimiter("sim", settings(overrides)).pipe(
    Effect.provide(RateLimiter.layer),
    Effect.provide(RateLimiter.layerStoreMemory)
  )

const reasonOf = (exit: Exit.Exit<void, { readonly reason: string }>) =>
  Exit.isFailure(exit) ? Exit.findErrorOption(exit).pipe((o) => (o._tag === "Some" ? o.value.reason : "defect")) : "ok"

describe("AdaptiveRateLimiter", () => {
  it.effect("a burst within the rate passes without waiting", () =>
    Effect.gen(function*() {
      const l = yield* limiter({ maxPerSecond: 2 })
      yield* l.acquire("bars")
      yield* l.acquire("bars")
    }))

  it.effect("a call over the rate waits for its token when that is within maxWait", () =>
    Effect.gen(function*() {
      // 4 per second: a token every 250 ms, so the 5th call waits one refill.
      const l = yield* limiter({ maxPerSecond: 4, maxWait: Duration.millis(300) })
      for (let i = 0; i < 4; i++) yield* l.acquire("bars")
      const fiber = yield* Effect.forkChild(l.acquire("bars"))
      yield* TestClock.adjust(Duration.millis(100))
      assert.isUndefined(fiber.pollUnsafe(), "still queued for its token")
      yield* TestClock.adjust(Duration.millis(200))
      assert.strictEqual(reasonOf(yield* Fiber.await(fiber)), "ok")
    }))

  it.effect("a call whose token is further away than maxWait fails Throttled at once", () =>
    Effect.gen(function*() {
      // 2 per second: the next token is 500 ms away, beyond a 250 ms wait.
      const l = yield* limiter({ maxPerSecond: 2, maxWait: Duration.millis(250) })
      yield* l.acquire("bars")
      yield* l.acquire("bars")
      const exit = yield* Effect.exit(l.acquire("bars"))
      assert.strictEqual(reasonOf(exit), "Throttled")
    }))

  it.effect("a provider's 429 pauses every call until its Retry-After, and halves the rate", () =>
    Effect.gen(function*() {
      const l = yield* limiter({ maxPerSecond: 8, maxWait: Duration.seconds(5) })
      yield* l.onThrottled(Duration.seconds(2))
      assert.strictEqual(reasonOf(yield* Effect.exit(l.acquire("bars"))), "Throttled")
      assert.strictEqual((yield* l.state).perSecond, 4)
      yield* TestClock.adjust(Duration.seconds(2))
      assert.strictEqual(reasonOf(yield* Effect.exit(l.acquire("bars"))), "ok")
      yield* l.onSuccess
      assert.strictEqual((yield* l.state).perSecond, 5)
    }))
})
