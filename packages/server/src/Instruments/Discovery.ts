import { DataUnavailable, UnknownSymbol } from "@marketgate/domain/ApiErrors"
import type { Instrument } from "@marketgate/domain/Instrument"
import type { Symbol } from "@marketgate/domain/Symbol"
import { Clock, Deferred, Duration, Effect } from "effect"
import type * as Prom from "prom-client"
import type { MarketDataSource } from "../Sources/MarketDataSource.ts"
import { AbsentSymbols } from "./AbsentSymbols.ts"

export interface DiscoveryOptions {
  /** How long a symbol no provider confirmed is answered 404 without asking again. */
  readonly negativeTtl: Duration.Duration
  /** Absent symbols the negative cache is sized for (per half-life), at about 1 % false positives. */
  readonly capacity: number
}

/**
 * A well-formed symbol the catalog does not hold is asked of a provider that
 * can confirm it (and name it) before it is refused: confirmed, it joins the
 * catalog; not, it is remembered as absent for a while. Concurrent lookups of
 * one symbol share one provider call, so a flood of made-up symbols costs at
 * most one call each.
 */
export const makeDiscovery = (
  source: MarketDataSource["Service"],
  options: DiscoveryOptions,
  metrics: { readonly outcomes: Prom.Counter<"outcome">; readonly rejected: Prom.Counter },
  onConfirmed: (instrument: Instrument) => Effect.Effect<void>
) =>
  Effect.gen(function*() {
    const absent = new AbsentSymbols(options.capacity, Duration.toMillis(options.negativeTtl), yield* Clock.currentTimeMillis)
    const inFlight = new Map<string, Deferred.Deferred<Instrument, UnknownSymbol | DataUnavailable>>()

    const ask = (symbol: Symbol): Effect.Effect<Instrument, UnknownSymbol | DataUnavailable> =>
      source.instrument(symbol).pipe(
        Effect.tap((instrument) => Effect.andThen(Effect.sync(() => metrics.outcomes.inc({ outcome: "confirmed" })), onConfirmed(instrument))),
        Effect.catch((error) =>
          Effect.gen(function*() {
            // "Nobody has it" and "nobody can say" are both a 404; only an outage is worth asking again.
            if (error.reason === "NotFound" || error.reason === "Unsupported") {
              absent.add(symbol, yield* Clock.currentTimeMillis)
              metrics.outcomes.inc({ outcome: "absent" })
              return yield* UnknownSymbol.of(symbol)
            }
            metrics.outcomes.inc({ outcome: "failed" })
            return yield* new DataUnavailable({
              message: `'${symbol}' is not in the catalog and no provider could be asked about it (${error.message}); try again shortly`
            })
          })
        ),
        Effect.withSpan("InstrumentCatalog.discover", { attributes: { symbol } })
      )

    const discover = (symbol: Symbol): Effect.Effect<Instrument, UnknownSymbol | DataUnavailable> =>
      Effect.gen(function*() {
        if (absent.mightContain(symbol, yield* Clock.currentTimeMillis)) {
          metrics.rejected.inc()
          return yield* UnknownSymbol.of(symbol)
        }
        const running = inFlight.get(symbol)
        if (running !== undefined) return yield* Deferred.await(running)
        const deferred = yield* Deferred.make<Instrument, UnknownSymbol | DataUnavailable>()
        inFlight.set(symbol, deferred)
        // The call finishes for the others even if the caller that started it goes away.
        const exit = yield* Effect.exit(Effect.uninterruptible(ask(symbol)))
        inFlight.delete(symbol)
        yield* Deferred.done(deferred, exit)
        return yield* exit
      })

    return { discover }
  })

export type Discovery = Effect.Success<ReturnType<typeof makeDiscovery>>

