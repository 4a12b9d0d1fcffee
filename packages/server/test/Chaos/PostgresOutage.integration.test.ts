import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer, Redacted } from "effect"
import { HttpClient } from "effect/http"
import * as Database from "../../src/Store/Database.ts"
import { cacheTestApp } from "../support/CacheTestApp.ts"
import { freePort, randomNamespace, spawnRedisServer, waitUntil } from "../support/RedisTest.ts"
import { tcpProxy } from "../support/TcpProxy.ts"
import { getJson, type JsonAnswer, postJson } from "../support/TestApp.ts"
import { checkClient, scratchDatabase } from "../support/TestDatabase.ts"

// Chaos matrix, PostgreSQL: the service's store sits behind a TCP proxy the
// test controls (its own database on the test server, its own redis-server).
// The store is cut mid-traffic, then slowed to a black hole, then restored:
// cached reads keep answering 200, what needs the store answers 503 with a
// sentence (never a 500, never a hang: the request deadline), /ready says
// which dependency is down and recovers without a restart, and a write that
// was accepted is in the store afterwards.

const day = (base: string, plus: number) => new Date(Date.parse(`${base}T00:00:00Z`) + plus * 86_400_000).toISOString().slice(0, 10)

/** A daily range no request has asked for before: a cache miss, so the request needs the store. */
const coldUrl = (symbol: string, n: number) => `/v1/bars/${symbol}?interval=1d&from=${day("2019-01-07", n * 40)}&to=${day("2019-02-07", n * 40)}`

const hotUrl = (symbol: string) => `/v1/bars/${symbol}?interval=1d&from=2024-01-02&to=2024-03-29`

/** An answer is acceptable in an outage if it is a 200, or a 503 that says what to do; anything else is listed. */
const degradedOrRefused = (path: string, answer: JsonAnswer, problems: Array<string>) => {
  if (answer.status === 200) return
  if (answer.status === 503 && typeof answer.body?.msg === "string" && answer.body.msg.length > 20 && answer.body.code === 503) return
  problems.push(`${path} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`)
}

describe("chaos: PostgreSQL outage", () => {
  it.live("store cut, then a black hole, mid-traffic: cached reads 200, the rest 503 with a sentence, /ready 503 then 200, nothing accepted lost", () =>
    Effect.gen(function*() {
      const redisPort = yield* freePort
      const redis = yield* spawnRedisServer(redisPort)
      const directUrl = yield* scratchDatabase("chaos_pg")
      const direct = new URL(directUrl)
      const proxy = yield* tcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) })
      const viaProxy = new URL(directUrl)
      viaProxy.port = String(proxy.port)

      const lines: Array<string> = []
      const app = cacheTestApp(
        Database.layerFor({ _tag: "Server", url: Redacted.make(viaProxy.toString()), maxConnections: 4 }),
        { redisUrl: redis.url, namespace: randomNamespace("chaospg"), lines }
      ).pipe(
        // A short deadline, so the black hole below ends in the deadline's 503 quickly.
        Layer.provide(ConfigProvider.layerAdd(ConfigProvider.fromUnknown({ REQUEST_DEADLINE: "3 seconds" }), { asPrimary: true }))
      )
      const context = yield* Layer.build(app)
      const client = Context.get(context, HttpClient.HttpClient)
      const get = (path: string) => Effect.provideService(getJson(path), HttpClient.HttpClient, client)
      const post = (path: string, body: unknown) => Effect.provideService(postJson(path, body), HttpClient.HttpClient, client)

      const listing = yield* get("/v1/instruments?market=CN&limit=4")
      const symbols: Array<string> = listing.body.data.instruments.map((i: { symbol: string }) => i.symbol)
      assert.strictEqual(symbols.length, 4)
      // Warm: these answers are cached (L1 and Redis) and stored.
      for (const s of symbols) assert.strictEqual((yield* get(hotUrl(s))).status, 200)
      assert.strictEqual((yield* get("/ready")).status, 200)

      // An accepted write before the outage: a backfill whose bars must be in the store afterwards.
      const accepted = yield* post("/v1/admin/backfill", { symbols: [symbols[0]], from: "2023-03-01", to: "2023-03-31" })
      assert.oneOf(accepted.status, [200, 202], JSON.stringify(accepted.body))
      const runId: number = accepted.body.data.run_id
      yield* waitUntil(
        Effect.map(get("/v1/admin/jobs?kind=backfill&limit=10"), (a) => a.body.data?.runs?.find((r: { id: number }) => r.id === runId)?.status === "succeeded"),
        { within: "30 seconds", every: "100 millis", message: () => `backfill run ${runId} did not succeed` }
      )

      // --- The store is cut (connections reset, new ones refused), with requests in flight.
      const problems: Array<string> = []
      const cachedFailures: Array<string> = []
      let n = 0
      const traffic = (rounds: number) =>
        Effect.forEach(
          Array.from({ length: rounds }, (_, i) => i),
          (i) =>
            Effect.gen(function*() {
              const symbol = symbols[i % symbols.length]!
              const hot = yield* get(hotUrl(symbol))
              if (hot.status !== 200) cachedFailures.push(`${hotUrl(symbol)} → ${hot.status} ${JSON.stringify(hot.body).slice(0, 300)}`)
              const path = coldUrl(symbol, n++)
              degradedOrRefused(path, yield* get(path), problems)
            }),
          { concurrency: 4 }
        )
      yield* Effect.all([traffic(8), Effect.andThen(Effect.sleep("20 millis"), proxy.cut)], { concurrency: 2 })
      yield* traffic(12)
      assert.deepStrictEqual(cachedFailures, [], "cached reads answer 200 while the store is down")
      assert.deepStrictEqual(problems, [], "what needs the store answers 200 (degraded) or 503 with a sentence, never a 500")

      const ready = yield* get("/ready")
      assert.strictEqual(ready.status, 503)
      assert.match(JSON.stringify(ready.body), /store/)
      // Operator answers do not lie while the store is down.
      const refused = yield* post("/v1/admin/backfill", { symbols: [symbols[1]], from: "2023-04-03", to: "2023-04-28" })
      assert.strictEqual(refused.status, 503, JSON.stringify(refused.body))
      assert.match(refused.body.msg, /store is unreachable.*retry once GET \/ready answers 200/)
      const jobs = yield* get("/v1/admin/jobs?kind=backfill")
      assert.strictEqual(jobs.status, 503, JSON.stringify(jobs.body))

      // --- A black hole: connections are accepted and nothing comes back. The deadline answers.
      yield* proxy.restore
      yield* proxy.delay(600_000)
      const slowProblems: Array<string> = []
      const stuck = yield* Effect.forEach([0, 1, 2], (i) => get(coldUrl(symbols[i]!, n++)), { concurrency: 3 })
      for (const [i, answer] of stuck.entries()) degradedOrRefused(`black hole ${i}`, answer, slowProblems)
      assert.deepStrictEqual(slowProblems, [])
      for (const s of symbols) assert.strictEqual((yield* get(hotUrl(s))).status, 200, "cached reads do not wait for the store")
      // The black hole's connections are reset when the store comes back.
      yield* proxy.cut

      // --- The store is back: no restart, /ready 200, misses served and stored again.
      yield* proxy.restore
      yield* waitUntil(Effect.map(get("/ready"), (a) => a.status === 200), {
        within: "30 seconds",
        every: "200 millis",
        message: () => "/ready did not answer 200 after the store came back"
      })
      const afterProblems: Array<string> = []
      for (const s of symbols) {
        const path = coldUrl(s, n++)
        const answer = yield* get(path)
        if (answer.status !== 200) afterProblems.push(`${path} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`)
      }
      assert.deepStrictEqual(afterProblems, [])
      const again = yield* post("/v1/admin/backfill", { symbols: [symbols[1]], from: "2023-04-03", to: "2023-04-28" })
      assert.oneOf(again.status, [200, 202], JSON.stringify(again.body))

      // Nothing accepted was lost: the backfill accepted before the outage is in the store.
      const sql = yield* checkClient(directUrl)
      const rows = yield* sql<{ n: string }>`SELECT count(*)::text AS n FROM bars_daily WHERE symbol = ${symbols[0]!} AND date BETWEEN '2023-03-01' AND '2023-03-31'`
      assert.isAbove(Number(rows[0]!.n), 15, "the March 2023 bars the accepted backfill stored")
      // Every failure was logged as one line with its request id, never a silent drop.
      const failedLines = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.message === "request failed")
      for (const line of failedLines) assert.isString(line.request_id)
    }).pipe(Effect.scoped), 120_000)
})
