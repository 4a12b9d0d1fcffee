import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { type Asset, WebAssets } from "./WebAssets.ts"

/**
 * The paths that open the app; the page itself picks the view from the path.
 * The admin pages are served to anyone; their script shows them to admins only
 * (the API behind them refuses everyone else anyway).
 */
export const pagePaths = ["/", "/market/:market", "/symbol/:symbol", "/login", "/watchlist", "/admin/sources", "/admin/jobs"] as const

const send = (request: HttpServerRequest.HttpServerRequest, asset: Asset) => {
  // Revalidated on every load (the URLs carry no version); a 304 costs one round trip.
  const headers: Record<string, string> = { etag: asset.etag, "cache-control": "no-cache", vary: "accept-encoding" }
  // The 304 names its type too: the browser merges a 304's headers into the cached page, and
  // the security headers (the page's CSP, not the API's) are chosen by type.
  if (request.headers["if-none-match"] === asset.etag) return HttpServerResponse.empty({ status: 304, headers: { ...headers, "content-type": asset.contentType } })
  const gzip = asset.gzip !== undefined && /\bgzip\b/.test(request.headers["accept-encoding"] ?? "")
  return HttpServerResponse.uint8Array(gzip ? asset.gzip! : asset.body, {
    contentType: asset.contentType,
    headers: gzip ? { ...headers, "content-encoding": "gzip" } : headers
  })
}

const notFound = (path: string) =>
  HttpServerResponse.text(`no file ${path} in the web app`, { status: 404, contentType: "text/plain; charset=utf-8" })

/** `GET /` and the other page paths answer the app's page; `/app/*` and `/vendor/*` its files. */
export const WebRoutes = HttpRouter.use((router) =>
  Effect.gen(function*() {
    const assets = yield* WebAssets
    const page = Effect.map(HttpServerRequest.HttpServerRequest, (request) => send(request, assets.page))
    for (const path of pagePaths) yield* router.add("GET", path, page)
    const file = Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
      const path = request.url.split("?")[0]!
      const asset = assets.get(path)
      return asset === undefined ? notFound(path) : send(request, asset)
    })
    yield* router.add("GET", "/app/*", file)
    yield* router.add("GET", "/vendor/*", file)
  })
).pipe(Layer.provide(WebAssets.layer))
