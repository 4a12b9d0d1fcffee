import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, ConfigProvider, Effect, Exit, Layer } from "effect"
import { AppLayer } from "./App.ts"
import * as Logging from "./Observability/Logging.ts"

/** The one flag the service takes; every other setting is an environment variable (docs/configuration.md). */
const SKIP_INTEGRITY_CHECK = "--skip-integrity-check"

const args = process.argv.slice(2)
const unknown = args.filter((a) => a !== SKIP_INTEGRITY_CHECK)

// The flag is the same setting as SKIP_INTEGRITY_CHECK=1, and wins over the environment.
const flags = args.includes(SKIP_INTEGRITY_CHECK)
  ? ConfigProvider.layerAdd(ConfigProvider.fromUnknown({ SKIP_INTEGRITY_CHECK: "true" }), { asPrimary: true })
  : Layer.empty

const program = unknown.length > 0
  ? Effect.fail(new Error(`unknown argument ${unknown.join(" ")}; the only flag is ${SKIP_INTEGRITY_CHECK}, settings are environment variables`))
  : Layer.launch(AppLayer.pipe(Layer.provide(flags)))

program.pipe(
  // A start-up failure (a bad setting, an unreachable database) is one JSON
  // line naming what failed, then a non-zero exit.
  Effect.tapCause((cause) => Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.logError("marketgate stopped", cause)),
  Effect.provide(Logging.layerDefault),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    // SIGTERM/SIGINT interrupt the app; once it has drained, that is a clean exit.
    teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause) ? 0 : 1)
  })
)
