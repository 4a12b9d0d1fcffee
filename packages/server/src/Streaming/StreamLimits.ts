import { TooManyStreams } from "@marketgate/domain/QuoteStream"
import { Effect, Semaphore } from "effect"

/**
 * Open streams per client and per instance. A stream takes one permit of its
 * client's semaphore and one of the instance's; both are given back when the
 * stream ends. Clients are keyed by address until accounts land (then by user).
 */
export const makeStreamLimits = (perClient: number, total: number) =>
  Effect.sync(() => {
    const all = Semaphore.makeUnsafe(total)
    const clients = new Map<string, { readonly semaphore: Semaphore.Semaphore; open: number }>()

    const acquire = (client: string): Effect.Effect<Effect.Effect<void>, TooManyStreams> =>
      Effect.gen(function*() {
        let entry = clients.get(client)
        if (entry === undefined) {
          entry = { semaphore: Semaphore.makeUnsafe(perClient), open: 0 }
          clients.set(client, entry)
        }
        const mine = entry
        if (!(yield* mine.semaphore.takeIfAvailable(1))) {
          return yield* new TooManyStreams({
            message: `this client already has ${perClient} open streams, the most allowed; close one, or watch several symbols in one stream (symbols=A,B,…)`
          })
        }
        if (!(yield* all.takeIfAvailable(1))) {
          yield* mine.semaphore.release(1)
          return yield* new TooManyStreams({ message: `this server holds ${total} open streams, its limit; try again shortly` })
        }
        mine.open++
        let released = false
        return Effect.suspend(() => {
          if (released) return Effect.void
          released = true
          mine.open--
          if (mine.open === 0) clients.delete(client)
          return Effect.andThen(mine.semaphore.release(1), all.release(1)).pipe(Effect.asVoid)
        })
      })

    return { acquire, openFor: (client: string) => clients.get(client)?.open ?? 0 }
  })
