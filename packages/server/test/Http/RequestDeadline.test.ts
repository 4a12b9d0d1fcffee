import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber } from "effect"
import { HttpServerResponse } from "effect/http"
import { TestClock } from "effect/testing"
import { withDeadline } from "../../src/Http/RequestDeadline.ts"

const bodyText = (response: HttpServerResponse.HttpServerResponse) =>
  response.body._tag === "Uint8Array" ? new TextDecoder().decode(response.body.body) : ""

describe("request deadline", () => {
  it.effect("a handler that never answers is answered 503 with Retry-After and what to do, at the deadline", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(withDeadline(Duration.seconds(10))(Effect.never))
      yield* TestClock.adjust("9 seconds")
      assert.isUndefined(fiber.pollUnsafe(), "still running before the deadline")
      yield* TestClock.adjust("1 second")
      const response = yield* Fiber.join(fiber)
      assert.strictEqual(response.status, 503)
      assert.strictEqual(response.headers["retry-after"], "5")
      assert.match(JSON.parse(bodyText(response)).message, /^no answer within the 10s request deadline: .*retry in 5 seconds/)
    }))

  it.effect("a handler that answers in time keeps its answer", () =>
    Effect.gen(function*() {
      const answer = HttpServerResponse.text("ok")
      const fiber = yield* Effect.forkChild(withDeadline(Duration.seconds(10))(Effect.as(Effect.sleep("9 seconds"), answer)))
      yield* TestClock.adjust("9 seconds")
      assert.strictEqual(yield* Fiber.join(fiber), answer)
    }))
})
