/**
 * Breaker micro-benchmark: the cost per call of marketgate's hand-written
 * breaker (Resilience/CircuitBreaker.ts) against effect/persistence's
 * CircuitBreaker with its memory store, on the two paths that matter:
 * a closed breaker admitting a call that succeeds, and an open one rejecting.
 * A loop of the bare call (no breaker) is measured too and subtracted.
 *
 * Run: `flock /tmp/marketgate-cpu.lock npm run bench:breaker`
 * Env: BENCH_BREAKER_CALLS (calls per measurement, default 200000),
 *      BENCH_BREAKER_ROUNDS (measurements per case, default 7; the median is printed).
 */
import { Duration, Effect, Exit } from "effect"
import { CircuitBreaker } from "effect/persistence"
import { makeCircuitBreaker } from "../../packages/server/src/Resilience/CircuitBreaker.ts"
import type { BreakerSettings, Outcome } from "../../packages/server/src/Resilience/BreakerMachine.ts"

const CALLS = Number(process.env["BENCH_BREAKER_CALLS"] ?? 200_000)
const ROUNDS = Number(process.env["BENCH_BREAKER_ROUNDS"] ?? 7)

const settings: BreakerSettings = {
  consecutiveFailures: 3,
  failureRate: 0.5,
  windowSize: 20,
  minimumCalls: 10,
  openMs: 3_600_000,
  maxOpenMs: 3_600_000
}

class Boom {
  readonly _tag = "Boom"
}

const ok: Effect.Effect<number, Boom> = Effect.succeed(1)
const fail: Effect.Effect<number, Boom> = Effect.fail(new Boom())
const classify = (exit: Exit.Exit<number, Boom>): Outcome => Exit.isSuccess(exit) ? { _tag: "Success" } : { _tag: "Failure" }
const reject = () => new Boom()

/** Nanoseconds per call of `call`, run CALLS times in sequence. */
const measure = (call: Effect.Effect<unknown, unknown>) =>
  Effect.gen(function*() {
    const loop = Effect.gen(function*() {
      for (let i = 0; i < CALLS; i++) yield* Effect.exit(call)
    })
    yield* loop // warm-up
    const samples: Array<number> = []
    for (let r = 0; r < ROUNDS; r++) {
      const start = performance.now()
      yield* loop
      samples.push(((performance.now() - start) * 1e6) / CALLS)
    }
    samples.sort((a, b) => a - b)
    return samples[Math.floor(samples.length / 2)]!
  })

const program = Effect.gen(function*() {
  const handClosed = yield* makeCircuitBreaker(settings, () => Effect.void)
  const handOpen = yield* makeCircuitBreaker(settings, () => Effect.void)
  for (let i = 0; i < 3; i++) yield* Effect.exit(handOpen.execute(fail, classify, reject))

  const effectBreaker = yield* CircuitBreaker.make({
    tripPolicy: CircuitBreaker.consecutive(3),
    openDuration: Duration.hours(1)
  })
  for (let i = 0; i < 3; i++) yield* Effect.exit(fail.pipe(effectBreaker.execute({ key: "open" })))

  const cases: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown>]> = [
    ["bare call", ok],
    ["hand-written, closed, success", handClosed.execute(ok, classify, reject)],
    ["effect/persistence, closed, success", ok.pipe(effectBreaker.execute({ key: "closed" }))],
    ["hand-written, open, rejected", handOpen.execute(ok, classify, reject)],
    ["effect/persistence, open, rejected", ok.pipe(effectBreaker.execute({ key: "open" }))]
  ]
  const results: Array<readonly [string, number]> = []
  for (const [name, call] of cases) results.push([name, yield* measure(call)])
  const bare = results[0]![1]
  console.log(`calls per measurement ${CALLS}, median of ${ROUNDS}, node ${process.version}`)
  for (const [name, ns] of results) {
    console.log(`${name.padEnd(40)} ${ns.toFixed(0).padStart(7)} ns/call  (${(ns - bare).toFixed(0)} ns over the bare call)`)
  }
  const ratio = (a: number, b: number) => ((results[b]![1] - bare) / (results[a]![1] - bare)).toFixed(1)
  console.log(`effect/persistence ÷ hand-written, over the bare call: closed ${ratio(1, 2)}×, open ${ratio(3, 4)}×`)
})

await Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(CircuitBreaker.layerStoreMemory())))
