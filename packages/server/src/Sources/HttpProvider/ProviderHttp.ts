import { TextDecoder } from "node:util"
import { Clock, Config, Duration, Effect, Schema } from "effect"
import type { HttpClient, HttpClientError, HttpClientRequest, HttpClientResponse } from "effect/http"
import { type Operation, SourceError } from "../MarketDataSource.ts"
import { timedStep } from "../../Observability/StepTimings.ts"

/**
 * What the HTTP adapters share: one call to a provider, its answer turned into
 * text or a `SourceError` whose reason a policy layer can act on. No timeouts,
 * retries or rate limits here: a separate policy layer wraps every source.
 */

/** Who asked what: names the failure and annotates its log line. */
export interface CallInfo {
  readonly source: string
  readonly operation: Operation
  /** The symbol or symbols asked about. */
  readonly symbol: string
}

const failure = (call: CallInfo, fields: Omit<ConstructorParameters<typeof SourceError>[0], "source" | "operation">) =>
  new SourceError({ source: call.source, operation: call.operation, ...fields })

/** A body that is not what the provider documents: logged once here, never retryable. */
export const badResponse = (call: CallInfo, what: string, status?: number) =>
  Effect.logWarning(`${call.source} ${call.operation}: bad response: ${what}`).pipe(
    Effect.annotateLogs({ source: call.source, operation: call.operation, symbol: call.symbol }),
    Effect.andThen(Effect.fail(failure(call, {
      reason: "BadResponse",
      message: `${call.source} answered ${call.operation} for ${call.symbol} with a bad response: ${what}`,
      retryable: false,
      status
    })))
  )

/** The provider knows none of the symbols asked about. */
export const notFound = (call: CallInfo, what: string) =>
  Effect.fail(failure(call, { reason: "NotFound", message: `${call.source} has no data for ${what}`, retryable: false }))

/** A market the provider does not cover: the router should not have asked, so no request is made. */
export const outsideMarkets = (call: CallInfo, what: string) =>
  Effect.fail(failure(call, { reason: "Unsupported", message: `${call.source} covers ${what}, not ${call.symbol}`, retryable: false }))

/** `Retry-After` is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export const parseRetryAfter = (value: string | undefined, now: number): Duration.Duration | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Duration.seconds(Number(trimmed))
  const at = Date.parse(trimmed)
  return Number.isNaN(at) ? undefined : Duration.millis(Math.max(0, at - now))
}

const statusFailure = (call: CallInfo, response: HttpClientResponse.HttpClientResponse) =>
  Effect.gen(function*() {
    const status = response.status
    // Drain the body so the connection can be reused; its content is not needed.
    yield* Effect.ignore(response.arrayBuffer)
    if (status === 429) {
      const retryAfter = parseRetryAfter(response.headers["retry-after"], yield* Clock.currentTimeMillis)
      return yield* failure(call, {
        reason: "RateLimited",
        message: `${call.source} rate-limited ${call.operation} (HTTP 429${
          retryAfter === undefined ? "" : `, retry after ${Duration.format(retryAfter)}`
        })`,
        retryable: false,
        status,
        retryAfter
      })
    }
    if (status >= 500) {
      return yield* failure(call, {
        reason: "Unavailable",
        message: `${call.source} is unavailable (HTTP ${status})`,
        retryable: true,
        status
      })
    }
    if (status === 404) {
      return yield* failure(call, {
        reason: "NotFound",
        message: `${call.source} has no data for ${call.symbol} (HTTP 404)`,
        retryable: false,
        status
      })
    }
    return yield* badResponse(call, `unexpected HTTP ${status}`, status)
  })

const unreachable = (call: CallInfo, error: HttpClientError.HttpClientError) =>
  failure(call, {
    reason: "Unavailable",
    message: `${call.source} could not be reached: ${error.message}`,
    // A refused or reset connection may work next time; a URL we cannot build will not.
    retryable: error.reason._tag === "TransportError" || error.reason._tag === "DecodeError"
  })

const utf8 = new TextDecoder("utf-8")

/**
 * Sends the request and returns the body as text (UTF-8 unless a decoder is
 * given), or the `SourceError` its status or transport failure means.
 */
export const fetchText = (
  client: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  call: CallInfo,
  decoder: TextDecoder = utf8
): Effect.Effect<string, SourceError> =>
  Effect.gen(function*() {
    const bytes = yield* timedStep(
      "request",
      Effect.gen(function*() {
        const response = yield* Effect.mapError(client.execute(request), (e) => unreachable(call, e))
        if (response.status < 200 || response.status >= 300) return yield* statusFailure(call, response)
        return yield* Effect.mapError(response.arrayBuffer, (e) => unreachable(call, e))
      })
    )
    const text = decoder.decode(bytes)
    if (text.trim().length === 0) return yield* badResponse(call, "empty body")
    return text
  })

const parseJson = Schema.decodeUnknownEffect(Schema.fromJsonString(Schema.Unknown))

/** Parses JSON text and decodes it with `schema`; either failure is a BadResponse. */
export const decodeJson = <A>(schema: Schema.Decoder<A>, call: CallInfo) => (text: string): Effect.Effect<A, SourceError> =>
  timedStep("decode", parseJson(text).pipe(
    Effect.catch(() => badResponse(call, `body is not valid JSON (starts with ${JSON.stringify(text.slice(0, 40))})`)),
    Effect.flatMap((json) =>
      Schema.decodeUnknownEffect(schema)(json).pipe(
        Effect.catch((error) => badResponse(call, `body does not have the expected shape: ${error.message}`))
      )
    )
  ))

/** `SOURCE_<NAME>_BASE_URL`, or the provider's public host. */
export const baseUrlConfig = (name: string, defaultUrl: string) =>
  Config.URL(`SOURCE_${name.toUpperCase()}_BASE_URL`).pipe(Config.map(String), Config.withDefault(defaultUrl))
