import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { request } from "node:http"
import { gunzipSync } from "node:zlib"
import { issueToken, roomyQuotas } from "../support/AuthTest.ts"
import { serverPort } from "../support/RawHttp.ts"
import { freshPglite } from "../support/TestDatabase.ts"
import { postJson, testApp } from "../support/TestApp.ts"

// Cached reads on the real server: kept answers (Http/AnswerCache.ts) with
// their ETag, 304 on If-None-Match, gzip compressed once per answer, and the
// Authentication middleware and quota still applied to every request.

interface Raw {
  readonly status: number
  readonly headers: Readonly<Record<string, string | Array<string> | undefined>>
  readonly body: Buffer
}

/** One GET over node:http, the body as the bytes sent (no decompression). */
const get = (path: string, headers: Record<string, string>) =>
  Effect.flatMap(serverPort, (port) =>
    Effect.callback<Raw>((resume) => {
      const req = request({ host: "127.0.0.1", port, path, headers, agent: false }, (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })))
      })
      req.on("error", (e) => resume(Effect.die(e)))
      req.end()
    }))

const json = (raw: Raw) => JSON.parse(raw.body.toString("utf8"))

const QUOTES = "/v1/quotes?symbols=600519.SH,000001.SZ,AAPL.US,MSFT.US,300750.SZ"
const BARS = "/v1/bars/600519.SH?interval=1d&from=2024-01-01&to=2024-12-31"

/** A viewer's bearer header, and the URL read until its answer is a kept cache hit. */
const warmed = (path: string) =>
  Effect.gen(function*() {
    const { token } = yield* issueToken("viewer")
    const auth = { authorization: `Bearer ${token}` }
    yield* get(path, auth)
    const hit = yield* get(path, auth)
    assert.strictEqual(hit.status, 200)
    assert.strictEqual(hit.headers["x-cache"], "hit")
    return { auth, hit }
  })

describe("cached answers: ETag, 304, gzip", () => {
  layer(testApp(freshPglite()), { timeout: "60 seconds", excludeTestServices: true })("HTTP", (it) => {
    it.effect("a cached read has a weak ETag; If-None-Match with it answers 304 without a body", () =>
      Effect.gen(function*() {
        const { auth, hit } = yield* warmed(QUOTES)
        const etag = String(hit.headers.etag)
        assert.match(etag, /^W\/"[A-Za-z0-9_-]+"$/)
        assert.strictEqual(hit.headers["cache-control"], "no-cache")
        assert.match(String(hit.headers.vary), /Accept-Encoding/)
        assert.isTrue(json(hit).performance.cache_hit)

        const again = yield* get(QUOTES, auth)
        assert.strictEqual(again.headers.etag, etag, "same data, same tag")
        // The envelope is per request: its trace id is this request's.
        assert.notStrictEqual(json(again).performance.trace_id, json(hit).performance.trace_id)
        assert.deepStrictEqual(json(again).data, json(hit).data)

        const notModified = yield* get(QUOTES, { ...auth, "if-none-match": `"something-else", ${etag}` })
        assert.strictEqual(notModified.status, 304)
        assert.strictEqual(notModified.body.length, 0)
        assert.strictEqual(notModified.headers.etag, etag)
        assert.isString(notModified.headers["x-request-id"])
        assert.isString(notModified.headers["ratelimit-remaining"])

        const changed = yield* get(QUOTES, { ...auth, "if-none-match": `W/"not-this-one"` })
        assert.strictEqual(changed.status, 200)
        assert.deepStrictEqual(json(changed).data, json(hit).data)
      }))

    it.effect("gzip when accepted: the decompressed body is the same JSON envelope", () =>
      Effect.gen(function*() {
        const { auth, hit } = yield* warmed(BARS)
        const zipped = yield* get(BARS, { ...auth, "accept-encoding": "br;q=1, gzip;q=0.8" })
        assert.strictEqual(zipped.status, 200)
        assert.strictEqual(zipped.headers["content-encoding"], "gzip")
        assert.match(String(zipped.headers.vary), /Accept-Encoding/)
        assert.strictEqual(zipped.headers.etag, hit.headers.etag)
        assert.isBelow(zipped.body.length, hit.body.length / 2)
        const envelope = JSON.parse(gunzipSync(zipped.body).toString("utf8"))
        assert.strictEqual(envelope.code, 0)
        assert.strictEqual(envelope.msg, "ok")
        assert.deepStrictEqual(envelope.data, json(hit).data)
        assert.isTrue(envelope.performance.cache_hit)
        assert.match(envelope.performance.trace_id, /^[0-9a-f]{32}$/)
        assert.strictEqual(zipped.headers["x-trace-id"], envelope.performance.trace_id)

        // A second compressed answer reuses the compressed head; only the tail differs.
        const twice = yield* get(BARS, { ...auth, "accept-encoding": "gzip" })
        assert.deepStrictEqual(JSON.parse(gunzipSync(twice.body).toString("utf8")).data, envelope.data)
        // Refused with q=0, or not asked for: sent as it is.
        const plain = yield* get(BARS, { ...auth, "accept-encoding": "gzip;q=0" })
        assert.strictEqual(plain.headers["content-encoding"], undefined)
        assert.deepStrictEqual(json(plain).data, envelope.data)
      }))

    it.effect("a kept answer still passes the Authentication middleware", () =>
      Effect.gen(function*() {
        const { hit } = yield* warmed(QUOTES)
        const refused = yield* get(QUOTES, { authorization: "Bearer not-a-token" })
        assert.strictEqual(refused.status, 401)
        assert.strictEqual(json(refused).data, null)
        assert.match(json(refused).msg, /access token is not valid/)
        assert.strictEqual(refused.headers.etag, undefined)
        assert.isString(hit.headers["ratelimit-limit"])
      }))

    it.effect("an invalidated entry is never answered from a kept answer", () =>
      Effect.gen(function*() {
        const { auth } = yield* warmed(QUOTES)
        const invalidated = yield* postJson("/v1/admin/cache/invalidate", { symbols: ["AAPL.US"], kinds: ["quote"] })
        assert.strictEqual(invalidated.status, 200)
        const after = yield* get(QUOTES, auth)
        assert.strictEqual(after.status, 200)
        assert.strictEqual(after.headers["x-cache"], "miss")
        assert.isFalse(json(after).performance.cache_hit)
        assert.strictEqual(after.headers.etag, undefined)
      }))
  })
})

describe("cached answers count against the quota", () => {
  // Viewers may make 4 requests a minute (getting the token is one): the fifth is refused even though its answer is kept.
  layer(testApp(freshPglite(), { settings: { quotas: { ...roomyQuotas, viewer: 4 } } }), { timeout: "60 seconds", excludeTestServices: true })(
    "HTTP",
    (it) => {
      it.effect("the request after the quota is 429 with Retry-After, not the kept answer", () =>
        Effect.gen(function*() {
          const { auth } = yield* warmed(QUOTES)
          const third = yield* get(QUOTES, auth)
          assert.strictEqual(third.status, 200)
          assert.strictEqual(third.headers["x-cache"], "hit")
          assert.strictEqual(third.headers["ratelimit-limit"], "4")
          assert.strictEqual(third.headers["ratelimit-remaining"], "0")
          const fourth = yield* get(QUOTES, auth)
          assert.strictEqual(fourth.status, 429)
          assert.isString(fourth.headers["retry-after"])
          assert.match(json(fourth).msg, /rate limit of 4 requests per/)
        }))
    }
  )
})
