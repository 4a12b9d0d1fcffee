/**
 * The Fastify peer of the HTTP benchmark: what a team would write instead of
 * marketgate for the same cached reads, doing the same work per request:
 * query validation (JSON schema), a cache lookup (bentocache, memory), the
 * /v1 envelope with latency, trace id and cache_hit, RED metrics by route
 * template (prom-client), a request id. The cache is filled with the data
 * marketgate answered, so both serve the same bytes of `data`; Fastify
 * serialises the envelope on every request, as such an app would.
 *
 * Same IPC protocol as bare-server.ts: one config message in, `listening` out.
 */
import { BentoCache, bentostore } from "bentocache"
import { memoryDriver } from "bentocache/drivers/memory"
import Fastify from "fastify"
import { randomBytes, randomUUID } from "node:crypto"
import * as Prom from "prom-client"
import { runPeer, sendToParent } from "../support/ipcPeer.ts"
import type { BareServerConfig } from "./bare-server.ts"

const SYMBOL_PATTERN = "^(?:\\d{6}\\.(?:SH|SZ|sh|sz)|[A-Za-z][A-Za-z0-9]{0,5}(?:-[A-Za-z])?\\.(?:US|us))$"
const SYMBOL = new RegExp(SYMBOL_PATTERN)
const DATE = "^\\d{4}-\\d{2}-\\d{2}$"

const serve = async (config: BareServerConfig) => {
  // The data of each captured answer, by the canonical request it answers.
  const loaded = new Map<string, unknown>()
  const quotesKey = (symbols: string) => `quotes:${symbols.toUpperCase()}`
  const barsKey = (symbol: string, q: Record<string, string | undefined>) =>
    `bars:${symbol.toUpperCase()}:${q.interval ?? "1d"}:${q.from ?? ""}:${q.to ?? ""}:${q.adjust ?? "none"}`
  for (const route of config.routes) {
    const url = new URL(route.url, "http://peer")
    const data = (JSON.parse(Buffer.from(route.bodyBase64, "base64").toString("utf8")) as { data: unknown }).data
    const query = Object.fromEntries(url.searchParams)
    if (url.pathname === "/v1/quotes") loaded.set(quotesKey(query.symbols ?? ""), data)
    else loaded.set(barsKey(url.pathname.slice("/v1/bars/".length), query), data)
  }

  const bento = new BentoCache({
    default: "memory",
    stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 20_000 })) }
  })

  const registry = new Prom.Registry()
  const duration = new Prom.Histogram({
    name: "http_request_duration_seconds",
    help: "request duration",
    labelNames: ["method", "route", "status_code"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry]
  })
  const total = new Prom.Counter({
    name: "http_requests_total",
    help: "requests",
    labelNames: ["method", "route", "status_code"],
    registers: [registry]
  })

  const app = Fastify({ logger: false, genReqId: () => randomUUID() })

  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id)
  })
  app.addHook("onResponse", async (request, reply) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? "unknown", status_code: String(reply.statusCode) }
    duration.observe(labels, reply.elapsedTime / 1000)
    total.inc(labels)
  })

  const envelope = async (startedAt: bigint, key: string, hit: { value: boolean }) => {
    const data = await bento.getOrSet({
      key,
      ttl: "1h",
      factory: () => {
        hit.value = false
        return loaded.get(key) ?? null
      }
    })
    return {
      code: 0,
      data,
      msg: "ok",
      performance: {
        latency_ms: Math.round((Number(process.hrtime.bigint() - startedAt) / 1e6) * 1000) / 1000,
        trace_id: randomBytes(16).toString("hex"),
        cache_hit: hit.value
      }
    }
  }

  app.get<{ Querystring: { symbols: string } }>("/v1/quotes", {
    schema: { querystring: { type: "object", required: ["symbols"], properties: { symbols: { type: "string", maxLength: 2000 } } } }
  }, async (request, reply) => {
    const started = process.hrtime.bigint()
    const symbols = request.query.symbols.split(",").map((s) => s.trim()).filter((s) => s.length > 0)
    if (symbols.length < 1 || symbols.length > 100 || !symbols.every((s) => SYMBOL.test(s))) {
      return reply.code(400).send({ code: 400, data: null, msg: "symbols must list 1 to 100 symbols" })
    }
    return envelope(started, quotesKey(symbols.join(",")), { value: true })
  })

  app.get<{ Params: { symbol: string }; Querystring: Record<string, string | undefined> }>("/v1/bars/:symbol", {
    schema: {
      params: { type: "object", properties: { symbol: { type: "string", pattern: SYMBOL_PATTERN } } },
      querystring: {
        type: "object",
        properties: {
          interval: { enum: ["1m", "5m", "15m", "30m", "60m", "1d", "1w", "1M"] },
          from: { type: "string", pattern: DATE },
          to: { type: "string", pattern: DATE },
          adjust: { enum: ["none", "qfq", "hfq"] }
        }
      }
    }
  }, async (request) => envelope(process.hrtime.bigint(), barsKey(request.params.symbol, request.query), { value: true }))

  app.get("/metrics", async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()))

  const address = await app.listen({ host: config.host, port: 0 })
  sendToParent({ type: "listening", port: Number(new URL(address).port) })
}

runPeer("fastify-peer.ts", "bench/http/run.ts", serve)
