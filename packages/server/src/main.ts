import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect, Exit, Layer } from "effect"
import { AppLayer } from "./App.ts"
import * as Logging from "./Observability/Logging.ts"

Layer.launch(AppLayer).pipe(
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
