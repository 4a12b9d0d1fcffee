import { MarketgateApi } from "@marketgate/domain/Api"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { MarketCache } from "../Cache/MarketCache.ts"
import { cacheKinds } from "../Cache/CachePolicy.ts"

export const AdminHttp = HttpApiBuilder.group(
  MarketgateApi,
  "admin",
  Effect.fn(function*(handlers) {
    const cache = yield* MarketCache
    return handlers.handle("invalidateCache", ({ payload }) =>
      Effect.gen(function*() {
        const kinds = payload.kinds ?? cacheKinds
        // Every key of a symbol starts with the symbol; no symbols means every key.
        const prefixes = payload.symbols ?? [""]
        const invalidated = kinds.flatMap((kind) => prefixes.map((prefix) => ({ kind, prefix })))
        yield* Effect.forEach(invalidated, ({ kind, prefix }) => cache.invalidatePrefix(kind, prefix), { discard: true })
        yield* Effect.logInfo("cache invalidated").pipe(Effect.annotateLogs({ kinds: kinds.join(","), symbols: prefixes.join(",") }))
        return { invalidated }
      }))
  })
)
