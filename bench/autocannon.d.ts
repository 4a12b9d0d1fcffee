/**
 * Minimal types for autocannon 9 (it ships none): only what bench/ uses.
 * See node_modules/autocannon/README.md and lib/aggregateResult.js.
 */
declare module "autocannon" {
  import type { EventEmitter } from "node:events"

  export interface Options {
    readonly url: string
    readonly connections?: number
    /** Seconds. */
    readonly duration?: number
    readonly pipelining?: number
    readonly timeout?: number
    readonly method?: string
    readonly headers?: Readonly<Record<string, string>>
    readonly body?: string
    readonly title?: string
    /** A run before the measured one, with these options overridden; its figures are discarded. */
    readonly warmup?: { readonly connections?: number; readonly duration?: number }
  }

  /** Histogram summary; latency in ms, requests in req/s, throughput in bytes/s. */
  export interface Histogram {
    readonly average: number
    readonly mean: number
    readonly stddev: number
    readonly min: number
    readonly max: number
    readonly p50: number
    readonly p90: number
    readonly p97_5: number
    readonly p99: number
    readonly total?: number
  }

  export interface Result {
    readonly title?: string
    readonly url: string
    readonly connections: number
    readonly duration: number
    readonly samples: number
    readonly errors: number
    readonly timeouts: number
    readonly mismatches: number
    readonly non2xx: number
    readonly resets: number
    readonly "1xx": number
    readonly "2xx": number
    readonly "3xx": number
    readonly "4xx": number
    readonly "5xx": number
    readonly latency: Histogram & { readonly totalCount: number }
    readonly requests: Histogram & { readonly sent: number }
    readonly throughput: Histogram
  }

  /** Without a callback: an EventEmitter that is also a thenable of the result. */
  export interface Instance extends EventEmitter, PromiseLike<Result> {
    stop(): void
  }

  function autocannon(options: Options): Instance
  export default autocannon
}
