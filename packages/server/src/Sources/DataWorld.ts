import { Context, Effect, Layer, Result } from "effect"

/**
 * Which world the configured providers serve: `demo`, the simulated provider
 * alone, or `real`, real providers only. The two never mix: the store records
 * the world it holds, and the simulated provider never stands in for a real one.
 */
export type World = "demo" | "real"

export class DataWorld extends Context.Service<DataWorld, {
  readonly world: World
  /** The providers, in priority order (for messages). */
  readonly sources: ReadonlyArray<string>
}>()("@marketgate/server/Sources/DataWorld") {
  /** The world of `sources`; a list that mixes the demo with real providers fails with the sentence. */
  static readonly layer = (sources: ReadonlyArray<string>) =>
    Layer.effect(
      DataWorld,
      Result.match(worldOf(sources), {
        onSuccess: (world) => Effect.succeed(DataWorld.of({ world, sources })),
        onFailure: (message) => Effect.fail(new Error(message))
      })
    )
}

export const SIMULATED = "simulated"

/** The sentence a mixed list gets, naming `SOURCES` (the setting people write it in). */
export const mixedWorldsMessage = (sources: ReadonlyArray<string>) =>
  `SOURCES lists ${SIMULATED} together with ${sources.filter((s) => s !== SIMULATED).join(", ")}: ` +
  `${SIMULATED} is the demo world and never stands in for real providers; ` +
  `set SOURCES=${SIMULATED} for the demo, or list only real providers`

/** The world of a provider list; a list that mixes the demo with real providers has none. */
export const worldOf = (sources: ReadonlyArray<string>): Result.Result<World, string> =>
  !sources.includes(SIMULATED)
    ? Result.succeed("real")
    : sources.length > 1
    ? Result.fail(mixedWorldsMessage(sources))
    : Result.succeed("demo")
