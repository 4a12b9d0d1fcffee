import { Context, Option, Tracer } from "effect"
import type { HttpServerRequest } from "effect/http"
import { RequestFacts } from "../Observability/RequestFacts.ts"
import type { RequestOrigin } from "./Audit.ts"
import type { AuthOptions } from "./AuthSettings.ts"

const IP = /^[0-9A-Fa-f:.]{2,45}$/

const normalise = (address: string): string => (address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address)

/**
 * The caller's IP: the socket's peer, or behind a trusted proxy
 * (TRUST_PROXY) the last X-Forwarded-For entry, the one that proxy added (the
 * ones before it are whatever the client claimed).
 */
export const clientIp = (request: HttpServerRequest.HttpServerRequest, settings: Pick<AuthOptions, "trustProxy">): string => {
  if (settings.trustProxy) {
    const forwarded = request.headers["x-forwarded-for"]
    const last = forwarded?.split(",").at(-1)?.trim()
    if (last !== undefined && IP.test(last)) return normalise(last)
  }
  return normalise(Option.getOrElse(request.remoteAddress, () => "unknown"))
}

/** Whether the caller reached us over TLS: decides Secure cookies and HSTS (COOKIE_SECURE can force either). */
export const overTls = (request: HttpServerRequest.HttpServerRequest, settings: Pick<AuthOptions, "trustProxy" | "secureCookies">): boolean =>
  settings.secureCookies === "always"
    ? true
    : settings.secureCookies === "never"
    ? false
    : settings.trustProxy && request.headers["x-forwarded-proto"]?.split(",")[0]?.trim() === "https"

/** Where the request came from, for the audit log: IP, user agent, request id, trace id. */
export const originOf = (
  request: HttpServerRequest.HttpServerRequest,
  settings: Pick<AuthOptions, "trustProxy">,
  context: Context.Context<never>
): RequestOrigin => {
  const ip = clientIp(request, settings)
  const span = Context.getOrUndefined(context, Tracer.ParentSpan)
  const facts = Context.get(context, RequestFacts)
  return {
    ipAddress: IP.test(ip) ? ip : null,
    userAgent: request.headers["user-agent"] ?? null,
    requestId: facts.requestId === "" ? null : facts.requestId.slice(0, 128),
    traceId: span?.traceId ?? null
  }
}
