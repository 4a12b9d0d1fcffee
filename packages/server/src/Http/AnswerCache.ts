import { Context, Effect, Layer } from "effect"
import * as Prom from "prom-client"
import type { CacheKind } from "../Cache/CachePolicy.ts"
import { MarketCache } from "../Cache/MarketCache.ts"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"
import type { CacheRead } from "../Observability/RequestFacts.ts"
import { type GzipHead, gzipHead } from "./GzipSplice.ts"
import { weakEtag } from "./Negotiation.ts"

/** An answer is reused for at most this long, whatever its entries say (a day boundary, a delisting). */
export const ANSWER_MAX_AGE_MS = 1_000
/** Bounds of the answer cache: entries, and bytes of their envelopes. */
const MAX_ENTRIES = 10_000
const MAX_BYTES = 64 * 1024 * 1024
/** Below this an answer is sent as it is: gzip would save less than its own header costs. */
export const GZIP_MIN_BYTES = 1_024

/**
 * A `/v1` answer as the envelope will send it, up to its per-request tail:
 * `{"code":0,"data":…,"msg":"ok","performance":{"latency_ms":` — the tail is
 * `<latency>,"trace_id":"…","cache_hit":true}}`.
 */
export interface Answer {
  readonly head: Buffer
  readonly etag: string
  /** Epoch ms after which the answer is not reused. */
  readonly until: number
  readonly reads: ReadonlyArray<CacheRead>
  /** The head gzipped, made by the first request that accepts gzip. */
  gzip: GzipHead | undefined
}

/**
 * Cached reads answered without redoing their work: the envelope of a `/v1`
 * GET whose data came entirely from fresh L1 entries is kept under the
 * request's method and URL, and reused — bytes, ETag and gzip included —
 * while every entry it was built from is still the current L1 entry of its key
 * and fresh, and for at most `ANSWER_MAX_AGE_MS`. An invalidation, a refresh
 * or an expiry of any of them retires the answer at once. The caller still
 * authenticates and counts every request against its quota
 * (Http/RequestEnvelope.ts); only decoding, the read path and the encoding are
 * skipped, and they would give the same bytes for the same URL.
 */
export class AnswerCache extends Context.Service<AnswerCache, {
  readonly lookup: (key: string, now: number) => Answer | undefined
  /** Keeps the answer of `data` built from `reads`, if they allow it; returns it. */
  readonly keep: (key: string, data: Uint8Array, reads: ReadonlyArray<CacheRead>, now: number) => Answer | undefined
  /** The answer's gzipped head, compressed once per answer. */
  readonly gzipOf: (answer: Answer) => GzipHead
}>()("@marketgate/server/Http/AnswerCache") {
  static readonly layer = Layer.effect(
    AnswerCache,
    Effect.gen(function*() {
      const cache = yield* MarketCache
      const { registry } = yield* MetricsRegistry
      const answers = new Map<string, Answer>()
      let bytes = 0
      const lookups = new Prom.Counter({
        name: "http_answer_cache_lookups_total",
        help: "Cached reads looked up in the HTTP answer cache, by outcome (hit: answered from it; miss: built)",
        labelNames: ["outcome"],
        registers: [registry]
      })
      const hit = lookups.labels("hit")
      const miss = lookups.labels("miss")
      const gzipped = new Prom.Counter({
        name: "http_answer_cache_gzip_total",
        help: "Answers of the HTTP answer cache compressed (once each)",
        registers: [registry]
      })
      new Prom.Gauge({
        name: "http_answer_cache_entries",
        help: "Answers held by the HTTP answer cache",
        registers: [registry],
        collect() {
          this.set(answers.size)
        }
      })

      const drop = (key: string, answer: Answer) => {
        answers.delete(key)
        bytes -= answer.head.length
      }

      const current = (answer: Answer, now: number): boolean => {
        if (now >= answer.until) return false
        for (const read of answer.reads) {
          const entry = cache.peek(read.kind as CacheKind, read.key, now)
          if (entry !== read.entry || now >= entry.freshUntil) return false
        }
        return true
      }

      const lookup = (key: string, now: number): Answer | undefined => {
        const answer = answers.get(key)
        if (answer !== undefined) {
          if (current(answer, now)) {
            hit.inc()
            // The entries served this request as much as a lookup would have: cache_hits_total says so.
            for (const read of answer.reads) cache.countHits(read.kind as CacheKind, 1)
            return answer
          }
          drop(key, answer)
        }
        miss.inc()
        return undefined
      }

      const okHead = Buffer.from(`{"code":0,"data":`)
      const okTail = Buffer.from(`,"msg":"ok","performance":{"latency_ms":`)

      const keep = (key: string, data: Uint8Array, reads: ReadonlyArray<CacheRead>, now: number): Answer | undefined => {
        if (reads.length === 0) return undefined
        let until = now + ANSWER_MAX_AGE_MS
        for (const read of reads) until = Math.min(until, read.entry.freshUntil)
        if (until <= now) return undefined
        const head = Buffer.concat([okHead, data, okTail])
        if (head.length > MAX_BYTES / 16) return undefined
        const previous = answers.get(key)
        if (previous !== undefined) drop(key, previous)
        const answer: Answer = { head, etag: weakEtag(data), until, reads: [...reads], gzip: undefined }
        answers.set(key, answer)
        bytes += head.length
        // Oldest first out: a Map iterates in insertion order.
        for (const [k, a] of answers) {
          if (answers.size <= MAX_ENTRIES && bytes <= MAX_BYTES) break
          drop(k, a)
        }
        return answer
      }

      const gzipOf = (answer: Answer): GzipHead => {
        if (answer.gzip === undefined) {
          answer.gzip = gzipHead(answer.head)
          gzipped.inc()
        }
        return answer.gzip
      }

      return AnswerCache.of({ lookup, keep, gzipOf })
    })
  )
}
