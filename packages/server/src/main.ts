import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Layer } from "effect"
import { AppLayer } from "./App.ts"

Layer.launch(AppLayer).pipe(NodeRuntime.runMain)
