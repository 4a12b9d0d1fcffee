import { MarketgateApi } from "@marketgate/domain/Api"
import { Caller, type CallerInfo } from "@marketgate/domain/AuthApi"
import type { QuoteStreamEvent } from "@marketgate/domain/QuoteStream"
import { DateTime, Effect, Layer, Option, Stream } from "effect"
import { HttpServerRequest } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { MarketData } from "../MarketData/MarketData.ts"
import { QuoteHub } from "./QuoteHub.ts"
import { makeStreamLimits } from "./StreamLimits.ts"
import { StreamSettingsConfig } from "./StreamSettings.ts"

/** Whose streams count together: a user's or an API client's wherever they connect from; anonymous readers per address. */
const streamOwner = (caller: CallerInfo, address: string) => caller.kind === "anonymous" ? `ip:${address}` : `${caller.kind}:${caller.id}`

const ended = (reason: string): QuoteStreamEvent => ({ event: "end", data: { reason } })
const END = ended("the server is shutting down; reconnect")

/**
 * `GET /v1/stream/quotes`: checks the symbols and the client's stream count
 * before the stream starts (so those answer 4xx like any endpoint), then
 * sends quote events, heartbeats while quiet, and `end` on shutdown.
 */
export const StreamHttp = HttpApiBuilder.group(
  MarketgateApi,
  "stream",
  Effect.fn(function*(handlers) {
    const settings = yield* StreamSettingsConfig
    const hub = yield* QuoteHub
    const marketData = yield* MarketData
    const limits = yield* makeStreamLimits(settings.maxPerClient, settings.maxTotal)

    const heartbeats: Stream.Stream<QuoteStreamEvent> = Stream.tick(settings.heartbeat).pipe(
      Stream.drop(1),
      Stream.mapEffect(() => Effect.map(DateTime.now, (now) => ({ event: "heartbeat" as const, data: { ts: DateTime.formatIso(now) } })))
    )

    return handlers.handle("quotes", ({ query }) =>
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const client = streamOwner(yield* Caller, Option.getOrElse(request.remoteAddress, () => "unknown"))
        const release = yield* limits.acquire(client)
        // No quote for any symbol (404) and unavailable quotes (503) answer before the stream opens.
        yield* marketData.quotes(query.symbols).pipe(Effect.onError(() => release))
        const quotes = hub.quotes(query.symbols).pipe(
          Stream.map((data): QuoteStreamEvent => ({ event: "quote", data })),
          // The symbols were just checked; if quotes become unavailable meanwhile, say so and end.
          Stream.catchTags({
            NoData: (e) => Stream.make(ended(e.message)),
            DataUnavailable: (e) => Stream.make(ended(e.message))
          })
        )
        return Stream.merge(quotes, heartbeats).pipe(
          Stream.interruptWhen(hub.closing),
          Stream.concat(Stream.make(END)),
          Stream.ensuring(release)
        )
      })
    )
  })
)

/**
 * Built after the HTTP server and so released before it: on shutdown every
 * stream sends `end` and finishes first, and the server's drain does not wait
 * for clients that would never hang up.
 */
export const closeStreamsFirst = Layer.effectDiscard(
  Effect.gen(function*() {
    const hub = yield* QuoteHub
    yield* Effect.addFinalizer(() => hub.close)
  })
)
