import { Context, Effect, Layer } from "effect"
import { type HttpServerRequest, HttpServerResponse } from "effect/http"
import { AuthSettings } from "./AuthSettings.ts"
import { overTls } from "./ClientAddress.ts"

/** JSON answers load nothing and may be framed by nobody. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'"
/**
 * /docs (Scalar) is one page with its script and styles inline: they are
 * allowed inline, everything else only from this origin ("Try it" requests
 * go to this origin too).
 */
const DOCS_CSP =
  "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
/**
 * Other pages (the web app): this origin only. Style attributes are allowed
 * (lightweight-charts sets them on the elements it draws in); scripts never inline.
 */
const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
  "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

const EXPOSED = "x-request-id, x-trace-id, x-cache, ratelimit-limit, ratelimit-remaining, ratelimit-reset, retry-after"
const ALLOWED_HEADERS = "authorization, content-type, x-csrf-token, x-request-id, traceparent"

const isAuthRoute = (route: string) => route.startsWith("/v1/auth") || route.startsWith("/oauth")

/**
 * What every answer gets whatever it is (docs/security.md): security
 * headers, the CORS allow-list, and the request-body size limit. The request
 * envelope middleware calls `before` ahead of the route and `headers` on its
 * answer.
 */
export class HttpHygiene extends Context.Service<HttpHygiene, {
  /** An answer to send instead of running the route: a CORS preflight, or 413 for a body declared too large. */
  readonly before: (request: HttpServerRequest.HttpServerRequest, route: string) => HttpServerResponse.HttpServerResponse | undefined
  /** The body size limit of a route, in bytes (also enforced while reading a body of undeclared length). */
  readonly maxBodyBytes: (route: string) => number
  readonly headers: (
    request: HttpServerRequest.HttpServerRequest,
    route: string,
    response: HttpServerResponse.HttpServerResponse
  ) => Record<string, string>
}>()("@marketgate/server/Auth/HttpHygiene") {
  static readonly layer = Layer.effect(
    HttpHygiene,
    Effect.gen(function*() {
      const settings = yield* AuthSettings
      const allowed = new Set(settings.corsOrigins)
      const maxBodyBytes = (route: string) => (isAuthRoute(route) ? settings.authMaxBodyBytes : settings.maxBodyBytes)
      const corsOrigin = (request: HttpServerRequest.HttpServerRequest) => {
        const origin = request.headers.origin
        return origin !== undefined && allowed.has(origin) ? origin : undefined
      }
      const before = (request: HttpServerRequest.HttpServerRequest, route: string) => {
        if (request.method === "OPTIONS" && request.headers["access-control-request-method"] !== undefined) {
          const origin = corsOrigin(request)
          // An origin not on the list gets no CORS headers: the browser then refuses the call.
          return HttpServerResponse.empty({
            status: 204,
            headers: origin === undefined ? { vary: "Origin" } : {
              "access-control-allow-origin": origin,
              "access-control-allow-methods": "GET, POST, OPTIONS",
              "access-control-allow-headers": ALLOWED_HEADERS,
              "access-control-max-age": "600",
              vary: "Origin"
            }
          })
        }
        const declared = Number(request.headers["content-length"] ?? 0)
        const limit = maxBodyBytes(route)
        if (declared > limit) {
          return HttpServerResponse.jsonUnsafe(
            { message: `the request body is ${declared} bytes; this endpoint takes at most ${limit} bytes` },
            { status: 413, headers: { connection: "close" } }
          )
        }
        return undefined
      }
      const headers = (request: HttpServerRequest.HttpServerRequest, route: string, response: HttpServerResponse.HttpServerResponse) => {
        const contentType = ("contentType" in response.body ? response.body.contentType : undefined) ?? response.headers["content-type"] ?? ""
        const out: Record<string, string> = {
          "x-content-type-options": "nosniff",
          "x-frame-options": "DENY",
          "referrer-policy": "no-referrer",
          "content-security-policy": route === "/docs" ? DOCS_CSP : contentType.startsWith("text/html") ? PAGE_CSP : API_CSP
        }
        if (isAuthRoute(route)) out["cache-control"] = "no-store"
        if (overTls(request, settings)) out["strict-transport-security"] = "max-age=31536000; includeSubDomains"
        const origin = corsOrigin(request)
        if (origin !== undefined) {
          out["access-control-allow-origin"] = origin
          out["access-control-expose-headers"] = EXPOSED
          out.vary = "Origin"
        }
        return out
      }
      return HttpHygiene.of({ before, maxBodyBytes, headers })
    })
  )
}
