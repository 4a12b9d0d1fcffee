/**
 * marketgate as `npm start` runs it (same AppLayer, same settings from the
 * environment), with one difference: its clock reads E2E_WORLD_TIME plus the
 * time since start, so every test meets the simulated world at a chosen
 * instant (a session in progress, a closed market) whatever the real hour.
 * Time still flows at its real pace; sleeps and timers are unchanged.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Clock, Effect, Exit, Layer } from "effect"
import { AppLayer } from "../../packages/server/src/App.ts"
import * as Logging from "../../packages/server/src/Observability/Logging.ts"

const world = process.env.E2E_WORLD_TIME
const offsetMs = world === undefined ? 0 : Date.parse(world) - Date.now()
if (Number.isNaN(offsetMs)) throw new Error(`E2E_WORLD_TIME must be an ISO instant, got '${world}'`)
const offsetNs = BigInt(Math.round(offsetMs)) * 1_000_000n

const real = Effect.runSync(Effect.clockWith(Effect.succeed))
const shifted: Clock.Clock = {
  currentTimeMillisUnsafe: () => real.currentTimeMillisUnsafe() + offsetMs,
  currentTimeMillis: Effect.sync(() => real.currentTimeMillisUnsafe() + offsetMs),
  currentTimeNanosUnsafe: () => real.currentTimeNanosUnsafe() + offsetNs,
  currentTimeNanos: Effect.sync(() => real.currentTimeNanosUnsafe() + offsetNs),
  monotonicTimeNanosUnsafe: () => real.monotonicTimeNanosUnsafe(),
  monotonicTimeNanos: real.monotonicTimeNanos,
  sleep: (duration) => real.sleep(duration)
}

Layer.launch(AppLayer.pipe(Layer.provide(Layer.succeed(Clock.Clock, shifted)))).pipe(
  Effect.tapCause((cause) => Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.logError("marketgate stopped", cause)),
  Effect.provide(Logging.layerDefault),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause) ? 0 : 1)
  })
)
