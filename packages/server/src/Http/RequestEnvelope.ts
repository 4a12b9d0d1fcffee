import { Cause, Effect, Exit, type Types } from "effect"
import { HttpRouter, HttpServerError, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiSchemaError } from "effect/http-api/HttpApiError"
import { RequestFacts, servedFromCache } from "../Observability/RequestFacts.ts"
import { describeDecodeFailure, type FieldProblem } from "./DecodeErrorMessage.ts"
import { HttpMetrics, SLOW_REQUEST_SECONDS } from "./HttpMetrics.ts"

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
const decodeFailure = (cause: Cause.Cause<unknown>) => {
  const defect = cause.reasons.find(isDie)?.defect
  return HttpApiSchemaError.is(defect) && defect.kind !== "Body" && defect.kind !== "ResponseHeaders"
    ? describeDecodeFailure(defect.kind, defect.cause)
    : undefined
}

/** The `msg` of an error answer: the domain error's message, else a sentence for the status. */
const errorMessage = (status: number, text: string | undefined): string => {
  if (text !== undefined && text.length > 0 && status < 500) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown }
      if (typeof parsed.message === "string" && parsed.message.length > 0) return parsed.message
    } catch {
      // not JSON: fall through to the generic sentence
    }
  }
  if (text !== undefined && status === 503) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown }
      if (typeof parsed.message === "string") return parsed.message
    } catch {
      // fall through
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
  `"performance":{"latency_ms":${Math.round(latencyMs * 1000) / 1000},"trace_id":${JSON.stringify(traceId)},"cache_hit":${cacheHit}}`

/**
 * Route middleware around every route: request id, per-request facts, RED
 * metrics by route template, one log line per request, and for `/v1` the
 * envelope `{code, data, msg, performance}`, errors included.
 */
export const requestEnvelope = HttpRouter.middleware()(
  Effect.gen(function*() {
    const metrics = yield* HttpMetrics
    return (app): Effect.Effect<HttpServerResponse.HttpServerResponse, Types.unhandled, HttpRouter.Provided> =>
      Effect.gen(function*() {
        const started = process.hrtime.bigint()
        const request = yield* HttpServerRequest.HttpServerRequest
        const route = (yield* HttpRouter.RouteContext).route.path
        const method = request.method
        const requestId = request.headers["x-request-id"] ?? crypto.randomUUID()
        const span = yield* Effect.option(Effect.currentParentSpan)
        const traceId = span._tag === "Some" ? span.value.traceId : ""
        const facts: RequestFacts = { cacheLookups: 0, cacheMisses: 0 }

        metrics.active.inc({ method, route })
        const exit = yield* app.pipe(
          Effect.provideService(RequestFacts, facts),
          Effect.annotateLogs({ request_id: requestId }),
          Effect.exit
        )

        let response: HttpServerResponse.HttpServerResponse
        let details: ReadonlyArray<FieldProblem> | undefined
        let decodeMessage: string | undefined
        if (Exit.isSuccess(exit)) {
          response = exit.value
        } else {
          const decoded = decodeFailure(exit.cause)
          if (decoded !== undefined) {
            response = HttpServerResponse.empty({ status: 400 })
            details = decoded.details
            decodeMessage = decoded.message
          } else {
            response = (yield* HttpServerError.causeResponse(exit.cause))[0]
          }
        }

        const status = response.status
        if (route.startsWith("/v1")) {
          const latencyMs = Number(process.hrtime.bigint() - started) / 1e6
          const text = bodyText(response)
          const json = status < 400
            ? `{"code":0,"data":${text === undefined || text.length === 0 ? "null" : text},"msg":"ok",${
              performance(latencyMs, traceId, servedFromCache(facts))
            }}`
            : `{"code":${status},"data":null,"msg":${JSON.stringify(decodeMessage ?? errorMessage(status, text))},${
              details === undefined ? "" : `"details":${JSON.stringify(details)},`
            }${performance(latencyMs, traceId, false)}}`
          response = HttpServerResponse.text(json, {
            status,
            contentType: "application/json",
            headers: response.headers
          })
        }
        response = HttpServerResponse.setHeaders(response, { "x-request-id": requestId, "x-trace-id": traceId })

        const seconds = Number(process.hrtime.bigint() - started) / 1e9
        const labels = { method, route, status_code: String(status) }
        metrics.active.dec({ method, route })
        metrics.requests.inc(labels)
        metrics.duration.observe(labels, seconds)
        const slow = seconds > SLOW_REQUEST_SECONDS
        if (slow) metrics.slow.inc(labels)

        const fields = { method, route, status, duration_ms: Math.round(seconds * 1e5) / 100 }
        const log = status >= 500
          ? Effect.logError("request failed", Exit.isFailure(exit) ? exit.cause : Cause.empty)
          : slow
          ? Effect.logWarning("slow request")
          : Effect.logDebug("request")
        yield* log.pipe(Effect.annotateLogs({ ...fields, request_id: requestId }))
        return response
      })
  })
)
