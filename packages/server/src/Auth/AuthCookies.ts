import { CSRF_COOKIE, SESSION_COOKIE } from "@marketgate/domain/AuthApi"
import { Duration, Effect } from "effect"
import { HttpEffect, HttpServerRequest, HttpServerResponse } from "effect/http"
import type { AuthOptions } from "./AuthSettings.ts"
import { overTls } from "./ClientAddress.ts"
import { DEVICE_COOKIE } from "./DeviceCookies.ts"

interface CookieSpec {
  readonly name: string
  readonly value: string
  /** Readable by the page's script (the CSRF token); every other cookie is HttpOnly. */
  readonly script?: boolean | undefined
  readonly maxAge?: Duration.Duration | undefined
  readonly path?: string | undefined
}

/**
 * Sets cookies on the answer (a pre-response handler, so they survive the
 * envelope): SameSite=Lax, Path=/, HttpOnly unless a script must read it,
 * Secure when the request came over TLS (COOKIE_SECURE decides otherwise).
 */
export const setCookies = (settings: Pick<AuthOptions, "trustProxy" | "secureCookies">, cookies: ReadonlyArray<CookieSpec>) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const secure = overTls(request, settings)
    return HttpEffect.appendPreResponseHandler((_request, response) =>
      Effect.orDie(
        HttpServerResponse.setCookies(
          response,
          cookies.map((c) =>
            [c.name, c.value, {
              httpOnly: c.script !== true,
              secure,
              sameSite: "lax" as const,
              path: c.path ?? "/",
              ...(c.maxAge === undefined ? {} : { maxAge: c.maxAge })
            }] as const
          )
        )
      )
    )
  })

/** The cookies of a new session: the session itself, its CSRF token, and the device proof. */
export const sessionCookies = (session: { readonly cookie: string; readonly csrf: string }, device: string): ReadonlyArray<CookieSpec> => [
  { name: SESSION_COOKIE, value: session.cookie },
  { name: CSRF_COOKIE, value: session.csrf, script: true },
  { name: DEVICE_COOKIE, value: device, maxAge: Duration.days(365), path: "/v1/auth" }
]

/** Expired at once: what logout sends. */
export const clearedCookies: ReadonlyArray<CookieSpec> = [
  { name: SESSION_COOKIE, value: "", maxAge: Duration.zero },
  { name: CSRF_COOKIE, value: "", script: true, maxAge: Duration.zero }
]
