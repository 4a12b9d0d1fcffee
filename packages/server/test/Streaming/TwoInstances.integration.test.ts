import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Redacted, Ref, Stream } from "effect"
import { QuoteHub } from "../../src/Streaming/QuoteHub.ts"
import * as RedisQuoteBus from "../../src/Streaming/RedisQuoteBus.ts"
import { defaultStreamSettings } from "../../src/Streaming/StreamSettings.ts"
import { MOUTAI, world } from "../support/QuoteWorld.ts"
import { scopedNamespace, testRedisUrl, waitUntil } from "../support/RedisTest.ts"

// Two instances' quote hubs sharing one Redis namespace, both with a stream
// on the same symbol: one of them polls it, both streams get its changes;
// when the poller's last stream ends, the other instance takes the poll over.
const settings = { ...defaultStreamSettings, pollInterval: Duration.millis(100), idlePollInterval: Duration.millis(100) }

const instance = (namespace: string, shared: Effect.Success<typeof world>) =>
  Effect.gen(function*() {
    const own = yield* world
    // The same prices for both (one world), each instance's calls recorded apart.
    const layer = QuoteHub.layer(settings).pipe(
      Layer.provide(RedisQuoteBus.layer({ url: Redacted.make(testRedisUrl), namespace, lease: Duration.seconds(1) })),
      Layer.provide(own.layer)
    )
    yield* Ref.set(own.prices, yield* Ref.get(shared.prices))
    const ctx = yield* Layer.build(layer)
    return { hub: ctx.mapUnsafe.get(QuoteHub.key) as QuoteHub["Service"], world: own }
  })

const polled = (w: Effect.Success<typeof world>) => Effect.map(Ref.get(w.calls), (cs) => cs.filter((c) => c.includes(MOUTAI)).length)

describe("quote streams on two instances sharing Redis", () => {
  it.live("one instance polls a symbol for both; the other takes over when it stops watching", () =>
    Effect.gen(function*() {
      const namespace = yield* scopedNamespace("streams")
      const shared = yield* world
      const a = yield* instance(namespace, shared)
      const b = yield* instance(namespace, shared)
      const seenA = yield* Ref.make<ReadonlyArray<number>>([])
      const seenB = yield* Ref.make<ReadonlyArray<number>>([])
      const onA = yield* a.hub.quotes([MOUTAI]).pipe(Stream.runForEach((q) => Ref.update(seenA, (xs) => [...xs, q.price])), Effect.forkChild)
      const onB = yield* b.hub.quotes([MOUTAI]).pipe(Stream.runForEach((q) => Ref.update(seenB, (xs) => [...xs, q.price])), Effect.forkChild)

      // Both stream; exactly one instance asks the provider.
      yield* waitUntil(Effect.map(Effect.all([polled(a.world), polled(b.world)]), ([x, y]) => x + y >= 10), {
        within: "10 seconds",
        message: () => "no polls"
      })
      const [pa, pb] = yield* Effect.all([polled(a.world), polled(b.world)])
      assert.isTrue((pa === 0) !== (pb === 0), `exactly one instance polls (a ${pa}, b ${pb})`)

      // A change seen by the poller reaches both instances' streams.
      for (const w of [a.world, b.world]) yield* Ref.update(w.prices, (p) => ({ ...p, [MOUTAI]: 10.5 }))
      yield* waitUntil(
        Effect.map(Effect.all([Ref.get(seenA), Ref.get(seenB)]), ([x, y]) => x.includes(10.5) && y.includes(10.5)),
        { within: "5 seconds", message: () => "the change did not reach both streams" }
      )

      // The poller's stream ends: it gives up the lease and the other instance polls from then on.
      const [leader, follower, leaderStream] = pa > 0 ? [a, b, onA] : [b, a, onB]
      yield* Fiber.interrupt(leaderStream)
      const leaderAtStop = yield* polled(leader.world)
      const before = yield* polled(follower.world)
      yield* waitUntil(Effect.map(polled(follower.world), (n) => n >= before + 5), { within: "10 seconds", message: () => "no take-over" })
      // At most the tick already under way when the stream stopped.
      assert.isAtMost(yield* polled(leader.world), leaderAtStop + 1, "the old poller asks no more")
    }))
})
