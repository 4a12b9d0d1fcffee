import { MarketgateApi } from "@marketgate/domain/Api"
import { Authentication } from "@marketgate/domain/AuthApi"
import { ByteSize, Cause, Clock, Context, Effect, Exit, LogLevel, Redacted, References, Tracer, type Types } from "effect"
import { HttpIncomingMessage, HttpRouter, HttpServerError, HttpServerRequest, HttpServerResponse } from "effect/http"
import type { HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import { HttpApiSchemaError } from "effect/http-api/HttpApiError"
import { HttpHygiene } from "../Auth/HttpHygiene.ts"
import { newRequestFacts, RequestFacts, servedFromCache } from "../Observability/RequestFacts.ts"
import { type Answer, AnswerCache, GZIP_MIN_BYTES } from "./AnswerCache.ts"
import { describeDecodeFailure, type FieldProblem } from "./DecodeErrorMessage.ts"
import { gzipWithTail } from "./GzipSplice.ts"
import { HttpMetrics, SLOW_REQUEST_SECONDS } from "./HttpMetrics.ts"
import { acceptsGzip, noneMatch } from "./Negotiation.ts"
import { requestDeadlineConfig, withDeadline } from "./RequestDeadline.ts"

/**
 * The GET endpoints whose answers are read from the cache and nothing else,
 * by route template: their answers may be kept by the answer cache.
 */
const cacheableRoutes = new Map<string, { readonly endpoint: HttpApiEndpoint.Top; readonly group: HttpApiGroup.Top }>(
  ([["quotes", "list"], ["bars", "get"], ["indicators", "get"]] as const).map(([groupName, endpointName]) => {
    const group = MarketgateApi.groups[groupName] as unknown as HttpApiGroup.Top
    const endpoint = group.endpoints[endpointName] as HttpApiEndpoint.Top
    return [endpoint.path, { group, endpoint }]
  })
)

/** What the fast path's authenticated effect returns: "answer from the answer cache". */
const FROM_ANSWER = HttpServerResponse.empty({ status: 200 })
const noCredential = Redacted.make("")

const defaultMessages: Record<number, string> = {
  400: "the request is malformed; see /docs for the parameters of this endpoint",
  404: "not found; see /docs for the endpoints of this API",
  405: "method not allowed; see /docs for the endpoints of this API",
  413: "the request body is too large",
  499: "the client closed the request",
  500: "internal error; report the trace_id of this answer to the operators",
  503: "temporarily unavailable; try again shortly"
}

const messageFor = (status: number) => defaultMessages[status] ?? `request failed with status ${status}`

const isDie = (reason: Cause.Reason<unknown>): reason is Cause.Die => reason._tag === "Die"

/** A decode failure of the request (path, query, body) is the caller's mistake: 400 with what to fix. */
const decodeFailure = (
  cause: Cause.Cause<unknown>,
  request: HttpServerRequest.HttpServerRequest,
  params: Readonly<Record<string, unknown>>
) => {
  const defect = cause.reasons.find(isDie)?.defect
  if (!HttpApiSchemaError.is(defect) || defect.kind === "Body" || defect.kind === "ResponseHeaders") return undefined
  const raw = defect.kind === "Params"
    ? params
    : defect.kind === "Query"
    ? Object.fromEntries(new URLSearchParams(request.url.split("?")[1] ?? ""))
    : {}
  return describeDecodeFailure(defect.kind, defect.cause, raw)
}

/**
 * The `msg` of an error answer: the domain error's own message (4xx, and 503
 * which says what is unavailable), else a sentence for the status. A 500
 * never shows internals.
 */
const errorMessage = (status: number, text: string | undefined): string => {
  if (text !== undefined && text.length > 0 && (status < 500 || status === 503)) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown }
      if (typeof parsed.message === "string" && parsed.message.length > 0) return parsed.message
    } catch {
      // not JSON: fall through to the generic sentence
    }
  }
  return messageFor(status)
}

const bodyText = (response: HttpServerResponse.HttpServerResponse): string | undefined => {
  const body = response.body
  if (body._tag !== "Uint8Array") return undefined
  return body.text ?? new TextDecoder().decode(body.body)
}

const performance = (latencyMs: number, traceId: string, cacheHit: boolean) =>
  `"performance":{"latency_ms":${Math.round(latencyMs * 1000) / 1000},"trace_id":"${traceId}","cache_hit":${cacheHit}}`

const okPrefix = Buffer.from(`{"code":0,"data":`)

/**
 * The `/v1` envelope around an answer, spliced from the already-encoded body:
 * bytes stay bytes (a cached answer is copied, never re-encoded).
 */
const envelope = (
  response: HttpServerResponse.HttpServerResponse,
  decoded: { readonly message: string; readonly details: ReadonlyArray<FieldProblem> } | undefined,
  latencyMs: number,
  traceId: string,
  cacheHit: boolean,
  headers: Record<string, string>
) => {
  const status = response.status
  const options = { status, contentType: "application/json", headers: { ...response.headers, ...headers } }
  const body = response.body
  if (status < 400 && body._tag === "Uint8Array" && body.text === undefined && body.contentLength > 0) {
    const tail = Buffer.from(`,"msg":"ok",${performance(latencyMs, traceId, cacheHit)}}`)
    return HttpServerResponse.uint8Array(Buffer.concat([okPrefix, body.body, tail]), options)
  }
  const text = bodyText(response)
  const json = status < 400
    ? `{"code":0,"data":${text === undefined || text.length === 0 ? "null" : text},"msg":"ok",${
      performance(latencyMs, traceId, cacheHit)
    }}`
    : `{"code":${status},"data":null,"msg":${JSON.stringify(decoded?.message ?? errorMessage(status, text))},${
      decoded === undefined ? "" : `"details":${JSON.stringify(decoded.details)},`
    }${performance(latencyMs, traceId, false)}}`
  return HttpServerResponse.text(json, options)
}

/**
 * A kept answer as this request gets it: 304 when the caller's
 * `If-None-Match` has its ETag, gzip (the head compressed once per answer,
 * the tail stored) when accepted, else the head and this request's tail.
 */
const fromAnswer = (
  answers: AnswerCache["Service"],
  answer: Answer,
  request: HttpServerRequest.HttpServerRequest,
  latencyMs: number,
  traceId: string,
  ids: Record<string, string>
) => {
  const headers: Record<string, string> = {
    ...ids,
    etag: answer.etag,
    // Market data changes: a cache may keep the answer but asks (If-None-Match) before reusing it.
    "cache-control": "no-cache",
    vary: ids.vary === undefined ? "Accept-Encoding" : `${ids.vary}, Accept-Encoding`
  }
  if (noneMatch(request.headers["if-none-match"], answer.etag)) return HttpServerResponse.empty({ status: 304, headers })
  const tail = Buffer.from(`${Math.round(latencyMs * 1000) / 1000},"trace_id":"${traceId}","cache_hit":true}}`)
  if (answer.head.length >= GZIP_MIN_BYTES && acceptsGzip(request.headers["accept-encoding"])) {
    headers["content-encoding"] = "gzip"
    return HttpServerResponse.uint8Array(gzipWithTail(answers.gzipOf(answer), tail), { status: 200, contentType: "application/json", headers })
  }
  return HttpServerResponse.uint8Array(Buffer.concat([answer.head, tail]), { status: 200, contentType: "application/json", headers })
}

/**
 * Route middleware around every route: request id, per-request facts, RED
 * metrics by route template, one log line per request, and for `/v1` the
 * envelope `{code, data, msg, performance}`, errors included. A cached read
 * whose answer the answer cache holds is answered from it after the
 * Authentication middleware (role and quota) has passed it; any other
 * request runs its route, and a cacheable one's answer is kept. It runs on
 * every request, so it reads what it needs from the fiber directly.
 */
export const requestEnvelope = HttpRouter.middleware()(
  Effect.gen(function*() {
    const metrics = yield* HttpMetrics
    const hygiene = yield* HttpHygiene
    const answers = yield* AnswerCache
    const authentication = yield* Authentication
    const deadline = withDeadline(yield* requestDeadlineConfig)
    return (app): Effect.Effect<HttpServerResponse.HttpServerResponse, Types.unhandled, HttpRouter.Provided> =>
      Effect.withFiber((fiber) => {
        const started = process.hrtime.bigint()
        const context = fiber.context
        const request = Context.getUnsafe(context, HttpServerRequest.HttpServerRequest)
        const routeContext = Context.getUnsafe(context, HttpRouter.RouteContext)
        const route = routeContext.route.path
        const method = request.method
        const requestId = request.headers["x-request-id"] ?? crypto.randomUUID()
        const traceId = Context.getOrUndefined(context, Tracer.ParentSpan)?.traceId ?? ""
        const facts = newRequestFacts(requestId)
        const done = metrics.start(method, route)
        // A CORS preflight, or a body declared over the limit, is answered without running the route.
        const early = hygiene.before(request, route)
        const cacheable = early === undefined && method === "GET" ? cacheableRoutes.get(route) : undefined
        const now = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
        let answer = cacheable === undefined ? undefined : answers.lookup(request.url, now)
        let handler: Effect.Effect<HttpServerResponse.HttpServerResponse, Types.unhandled, HttpRouter.Provided> = early === undefined
          ? deadline(app)
          : Effect.succeed(early)
        if (cacheable !== undefined && answer !== undefined) {
          // Role and quota as for every request. A refusal takes the whole route, which answers
          // it as HttpApi does (the refusal is remembered for the request, not judged again).
          handler = authentication.bearer(Effect.succeed(FROM_ANSWER), { credential: noCredential, ...cacheable }).pipe(
            Effect.catch(() => deadline(app))
          )
        } else if (cacheable !== undefined) {
          facts.reads = []
        }

        // A kept answer (a GET, no body) needs only the facts: two context layers fewer on the hot path.
        const provided = answer !== undefined
          ? Effect.provideService(handler, RequestFacts, facts)
          : handler.pipe(
            Effect.provideService(RequestFacts, facts),
            // Bodies of undeclared length are cut off at the same limit while being read.
            Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(hygiene.maxBodyBytes(route))),
            Effect.annotateLogs("request_id", requestId)
          )
        return provided.pipe(
          Effect.exit,
          Effect.flatMap((exit) =>
            Effect.gen(function*() {
              let response: HttpServerResponse.HttpServerResponse
              let decoded: ReturnType<typeof decodeFailure>
              if (Exit.isSuccess(exit)) {
                response = exit.value
                if (response !== FROM_ANSWER) answer = undefined
                const body = response.body
                if (
                  facts.reads !== undefined && response.status === 200 && body._tag === "Uint8Array" && body.text === undefined &&
                  facts.cacheLookups > 0 && facts.reads.length === facts.cacheLookups && facts.cacheMisses === 0 && !facts.cacheStale
                ) {
                  // Every lookup was a fresh hit: keep the answer for the next requests of this URL.
                  answer = answers.keep(request.url, body.body, facts.reads, now)
                }
              } else {
                answer = undefined
                decoded = decodeFailure(exit.cause, request, routeContext.params)
                response = decoded !== undefined
                  ? HttpServerResponse.empty({ status: 400 })
                  : (yield* HttpServerError.causeResponse(exit.cause))[0]
              }
              if (response.status === 413 && !(bodyText(response) ?? "").includes("message")) {
                // A body cut off while being read: say what the limit is.
                response = HttpServerResponse.jsonUnsafe(
                  { message: `the request body is too large; this endpoint takes at most ${hygiene.maxBodyBytes(route)} bytes` },
                  { status: 413, headers: { connection: "close" } }
                )
              }
              const ids: Record<string, string> = {
                ...hygiene.headers(request, route, response),
                ...facts.headers,
                "x-request-id": requestId,
                "x-trace-id": traceId
              }
              // Server-sent events: never cached, never buffered by a proxy (nginx honours x-accel-buffering).
              if (response.body._tag === "Stream") Object.assign(ids, { "cache-control": "no-store", "x-accel-buffering": "no" })
              // hit | stale (served within its grace while a refresh runs) | miss
              if (answer !== undefined) ids["x-cache"] = "hit"
              else if (facts.cacheLookups > 0) ids["x-cache"] = facts.cacheStale ? "stale" : servedFromCache(facts) ? "hit" : "miss"
              // A stream (server-sent events) is sent as it is: no envelope around an open-ended body.
              response = answer !== undefined
                ? fromAnswer(answers, answer, request, Number(process.hrtime.bigint() - started) / 1e6, traceId, ids)
                : route.startsWith("/v1") && response.body._tag !== "Stream"
                ? envelope(response, decoded, Number(process.hrtime.bigint() - started) / 1e6, traceId, servedFromCache(facts), ids)
                : HttpServerResponse.setHeaders(response, ids)

              const status = response.status
              const seconds = done(status)
              // DESIGN.md's names beside the OpenTelemetry ones the server span already has.
              const span = Context.getOrUndefined(context, Tracer.ParentSpan)
              if (span !== undefined && span._tag === "Span") {
                span.attribute("http.status_code", status)
                span.attribute("request.id", requestId)
              }
              const slow = seconds > SLOW_REQUEST_SECONDS
              const level = status >= 500 ? "Error" : slow ? "Warn" : "Debug"
              // Success lines are debug: skip building them unless debug is on.
              if (level !== "Debug" || LogLevel.isLessThanOrEqualTo(fiber.getRef(References.MinimumLogLevel), "Debug")) {
                yield* Effect.logWithLevel(level)(
                  status >= 500 ? "request failed" : slow ? "slow request" : "request",
                  ...(status >= 500 && Exit.isFailure(exit) ? [exit.cause] : [])
                ).pipe(
                  Effect.annotateLogs({
                    method,
                    route,
                    status,
                    duration_ms: Math.round(seconds * 1e5) / 100,
                    request_id: requestId
                  })
                )
              }
              return response
            })
          )
        )
      })
  })
)
