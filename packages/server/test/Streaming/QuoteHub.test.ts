import { assert, describe, it } from "@effect/vitest"
import type { Symbol } from "@marketgate/domain/Symbol"
import { Duration, Effect, Fiber, Layer, Ref, Stream } from "effect"
import { TestClock } from "effect/testing"
import type { TradingCalendars } from "../../src/Calendar/TradingCalendars.ts"
import type { MarketData } from "../../src/MarketData/MarketData.ts"
import type { MarketDataSource } from "../../src/Sources/MarketDataSource.ts"
import { QuoteBus } from "../../src/Streaming/QuoteBus.ts"
import { QuoteHub } from "../../src/Streaming/QuoteHub.ts"
import { makeStreamLimits } from "../../src/Streaming/StreamLimits.ts"
import { defaultStreamSettings } from "../../src/Streaming/StreamSettings.ts"
import { APPLE, CN_SESSION, MOUTAI, world } from "../support/QuoteWorld.ts"

const settings = { ...defaultStreamSettings, pollInterval: Duration.seconds(1), idlePollInterval: Duration.seconds(30) }

const hubOf = (layer: Layer.Layer<MarketDataSource | MarketData | TradingCalendars>) =>
  Effect.flatMap(Layer.build(QuoteHub.layer(settings).pipe(Layer.provide(QuoteBus.layerLocal), Layer.provide(layer))), (ctx) =>
    Effect.succeed(ctx.mapUnsafe.get(QuoteHub.key) as QuoteHub["Service"]))

const collect = (hub: QuoteHub["Service"], symbols: ReadonlyArray<Symbol>, n: number) =>
  Stream.runCollect(hub.quotes(symbols).pipe(Stream.take(n))).pipe(Effect.forkChild)

describe("QuoteHub", () => {
  it.effect("one upstream poll per tick serves every subscriber; only changes are sent", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(CN_SESSION)
      const w = yield* world
      const hub = yield* hubOf(w.layer)
      const a = yield* collect(hub, [MOUTAI], 2)
      const b = yield* collect(hub, [MOUTAI, APPLE], 3)
      yield* TestClock.adjust(Duration.seconds(3))
      // Three ticks with nothing new: the snapshots only.
      yield* Ref.update(w.prices, (p) => ({ ...p, [MOUTAI]: 10.5 }))
      yield* TestClock.adjust(Duration.seconds(1))
      const gotA = yield* Fiber.join(a)
      const gotB = yield* Fiber.join(b)
      assert.deepStrictEqual(gotA.map((q) => q.price), [10, 10.5])
      assert.deepStrictEqual(gotB.map((q) => [q.symbol, q.price]), [[MOUTAI, 10], [APPLE, 200], [MOUTAI, 10.5]])
      // Ticks at 1, 2, 3 and 4 s each asked once for Moutai (open), however many streams watch it;
      // Apple (New York is closed) once, its next poll being due 30 s later.
      const polls = yield* Ref.get(w.calls)
      assert.strictEqual(polls.filter((c) => c.includes(MOUTAI)).length, 4)
      assert.strictEqual(polls.filter((c) => c.includes(APPLE)).length, 1)
      assert.isTrue(polls.every((c) => new Set(c).size === c.length))
      // The streams' first quotes were read once each, before any poll had seen them.
      assert.deepStrictEqual(yield* Ref.get(w.snapshots), [[MOUTAI], [MOUTAI, APPLE]])
    }))

  it.effect("a symbol nobody watches any more is no longer polled", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(CN_SESSION)
      const w = yield* world
      const hub = yield* hubOf(w.layer)
      const one = yield* collect(hub, [MOUTAI], 1)
      yield* Fiber.join(one)
      assert.deepStrictEqual(hub.watched(), [])
      yield* Ref.set(w.calls, [])
      yield* TestClock.adjust(Duration.seconds(5))
      assert.deepStrictEqual(yield* Ref.get(w.calls), [])
    }))

  it.effect("closing the hub ends its streams", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(CN_SESSION)
      const w = yield* world
      const hub = yield* hubOf(w.layer)
      const open = yield* Stream.runCollect(hub.quotes([MOUTAI]).pipe(Stream.interruptWhen(hub.closing))).pipe(Effect.forkChild)
      yield* TestClock.adjust(Duration.seconds(2))
      yield* hub.close
      const got = yield* Fiber.join(open)
      assert.deepStrictEqual(got.map((q) => q.price), [10])
    }))
})

describe("stream limits", () => {
  it.effect("a client holds at most its share; released places are given back", () =>
    Effect.gen(function*() {
      const limits = yield* makeStreamLimits(2, 3)
      const r1 = yield* limits.acquire("10.0.0.1")
      yield* limits.acquire("10.0.0.1")
      const third = yield* Effect.flip(limits.acquire("10.0.0.1"))
      assert.strictEqual(third._tag, "TooManyStreams")
      assert.match(third.message, /already has 2 open streams/)
      yield* limits.acquire("10.0.0.2")
      const full = yield* Effect.flip(limits.acquire("10.0.0.3"))
      assert.match(full.message, /holds 3 open streams/)
      yield* r1
      yield* r1 // releasing twice gives back one place only
      assert.strictEqual(limits.openFor("10.0.0.1"), 1)
      yield* limits.acquire("10.0.0.3")
      const again = yield* Effect.flip(limits.acquire("10.0.0.1"))
      assert.match(again.message, /holds 3 open streams/)
    }))
})
