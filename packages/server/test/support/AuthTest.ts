import { Duration, Effect, Layer, Redacted } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import * as AuthLayer from "../../src/Auth/AuthLayer.ts"
import { AuthRedis } from "../../src/Auth/AuthRedis.ts"
import * as AuthSettings from "../../src/Auth/AuthSettings.ts"
import { Clients } from "../../src/Auth/Clients.ts"

/** Quotas no test reaches unless it means to. */
export const roomyQuotas: AuthSettings.RateQuotas = {
  window: Duration.minutes(1),
  anonymous: 1_000_000,
  viewer: 1_000_000,
  analyst: 1_000_000,
  admin: 1_000_000
}

export interface AuthTestOptions {
  readonly settings?: Partial<AuthSettings.AuthOptions> | undefined
  /** Redis of the auth caches and the revocation bus; none by default. */
  readonly redis?: { readonly url: string; readonly namespace: string } | undefined
}

/** The auth feature as a test configures it: production code, roomy quotas unless said otherwise. */
export const authLayer = (options: AuthTestOptions = {}) =>
  AuthLayer.layer({
    settings: AuthSettings.layer({ quotas: roomyQuotas, ...options.settings, namespace: options.redis?.namespace ?? "mg:test" }),
    redis: options.redis === undefined
      ? AuthRedis.layerNone
      : AuthRedis.layer({ url: Redacted.make(options.redis.url), namespace: options.redis.namespace, timeout: Duration.millis(100) })
  })

/** Basic credentials of a client, as RFC 6749 §2.3.1 encodes them. */
export const basicOf = (clientId: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString("base64")}`

/** An access token for a new client of `role`, issued through POST /oauth/token like any program gets one. */
export const issueToken = (role: "viewer" | "analyst" | "admin", name = `test ${role}`) =>
  Effect.gen(function*() {
    const clients = yield* Clients
    const { client, secret } = yield* clients.add({ name, role, rateLimit: null }, "test")
    const http = yield* HttpClient.HttpClient
    const response = yield* http.execute(
      HttpClientRequest.post("/oauth/token").pipe(
        HttpClientRequest.setHeader("authorization", basicOf(client.clientId, secret)),
        HttpClientRequest.bodyUrlParams({ grant_type: "client_credentials" })
      )
    )
    const body = (yield* response.json) as { access_token?: string }
    if (response.status !== 200 || body.access_token === undefined) {
      return yield* Effect.fail(new Error(`POST /oauth/token answered ${response.status}: ${JSON.stringify(body)}`))
    }
    return { clientId: client.clientId, secret, token: body.access_token }
  })

/**
 * Replaces the HttpClient of `app` by one that sends an admin bearer token
 * with every request: the existing tests of admin endpoints authenticate the
 * way an operator's program does.
 */
export const asAdmin = <A, E, R>(app: Layer.Layer<A | HttpClient.HttpClient | Clients, E, R>) =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.gen(function*() {
      const { token } = yield* issueToken("admin", "test admin")
      const http = yield* HttpClient.HttpClient
      // A request that brings its own Authorization (or session cookie) keeps it.
      return HttpClient.mapRequest(http, (request) =>
        request.headers.authorization !== undefined || request.headers.cookie !== undefined
          ? request
          : HttpClientRequest.setHeader(request, "authorization", `Bearer ${token}`))
    })
  ).pipe(Layer.provideMerge(app))
