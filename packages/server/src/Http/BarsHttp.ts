import { MarketgateApi } from "@marketgate/domain/Api"
import { BarSeries } from "@marketgate/domain/Bar"
import { Symbol } from "@marketgate/domain/Symbol"
import { Effect, Schema } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { MarketData } from "../MarketData/MarketData.ts"
import { joinJson, jsonEncoder } from "./EncodedJson.ts"

/** Symbols of one batch fetched at once: enough to overlap provider latency, few enough to stay polite. */
const BATCH_CONCURRENCY = 8

const decodeSymbol = Schema.decodeUnknownEffect(Symbol)
const statusOf = { InvalidRequest: 400, UnknownSymbol: 404, NoData: 404, DataUnavailable: 503 } as const
const dataKey = Buffer.from(`"data":`)
const closeBrace = Buffer.from("}")

export const BarsHttp = HttpApiBuilder.group(
  MarketgateApi,
  "bars",
  Effect.fn(function*(handlers) {
    const marketData = yield* MarketData
    const json = jsonEncoder(BarSeries)
    const entry = (symbol: string, ok: boolean) => Buffer.from(`{"symbol":${JSON.stringify(symbol)},"ok":${ok},`)

    return handlers
      .handle("get", ({ params, query }) =>
        marketData.bars(params.symbol, {
          interval: query.interval ?? "1d",
          from: query.from,
          to: query.to,
          adjust: query.adjust ?? "none"
        }).pipe(Effect.flatMap(json.response)))
      .handle("batch", ({ payload }) =>
        Effect.forEach(
          payload.symbols,
          (raw) =>
            decodeSymbol(raw).pipe(
              Effect.mapError((e) => ({ code: 400, msg: e.message })),
              Effect.flatMap((symbol) =>
                marketData.bars(symbol, {
                  interval: payload.interval ?? "1d",
                  from: payload.from,
                  to: payload.to,
                  adjust: payload.adjust ?? "none"
                }).pipe(
                  // The status the single GET would answer for the same error.
                  Effect.mapError((e) => ({ code: statusOf[e._tag], msg: e.message }))
                )
              ),
              Effect.flatMap(json.bytes),
              // Each entry is built from the cached encoding of its series, or its own error.
              Effect.match({
                onSuccess: (bytes) => Buffer.concat([entry(raw, true), dataKey, bytes, closeBrace]),
                onFailure: (error) => Buffer.concat([entry(raw, false), Buffer.from(`"error":${JSON.stringify(error)}}`)])
              })
            ),
          { concurrency: BATCH_CONCURRENCY }
        ).pipe(
          Effect.map((entries) =>
            HttpServerResponse.uint8Array(joinJson(`{"results":[`, entries, "]}"), { contentType: "application/json" })
          ),
          Effect.withSpan("BarsHttp.batch", { attributes: { symbols: payload.symbols.length } })
        ))
  })
)
