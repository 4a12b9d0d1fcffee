import type { Quote } from "@marketgate/domain/Quote"
import type { Symbol } from "@marketgate/domain/Symbol"
import { Context, Effect, Layer, PubSub, type Scope } from "effect"

/**
 * How the instances that serve streams share one upstream poll per symbol:
 * the instance that holds a symbol's lease polls it and publishes its changes;
 * every instance hears every published quote. Alone (no Redis), an instance
 * holds every lease and hears its own quotes.
 */
export class QuoteBus extends Context.Service<QuoteBus, {
  /** Of these watched symbols, the ones this instance should poll now (it holds, or just took, their lease). */
  readonly claim: (symbols: ReadonlyArray<Symbol>) => Effect.Effect<ReadonlyArray<Symbol>>
  /** Gives up the leases of symbols nobody here watches any more, so another instance can take them at once. */
  readonly release: (symbols: ReadonlyArray<Symbol>) => Effect.Effect<void>
  readonly publish: (quotes: ReadonlyArray<Quote>) => Effect.Effect<void>
  /** A subscription to every quote published from now on, by any instance. */
  readonly subscribe: Effect.Effect<PubSub.Subscription<Quote>, never, Scope.Scope>
}>()("@marketgate/server/Streaming/QuoteBus") {
  /** One instance on its own: it polls everything it watches and tells only itself. */
  static readonly layerLocal = Layer.effect(
    QuoteBus,
    Effect.gen(function*() {
      // Sliding: a subscriber that falls behind loses old quotes, never blocks the poller.
      const hub = yield* Effect.acquireRelease(PubSub.sliding<Quote>(4096), PubSub.shutdown)
      return QuoteBus.of({
        claim: (symbols) => Effect.succeed(symbols),
        release: () => Effect.void,
        publish: (quotes) => PubSub.publishAll(hub, quotes).pipe(Effect.asVoid),
        subscribe: PubSub.subscribe(hub)
      })
    })
  )
}
