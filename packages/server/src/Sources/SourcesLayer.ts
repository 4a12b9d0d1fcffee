import { Config, Effect, Layer, Schema, SchemaGetter } from "effect"
import { instrumented } from "./InstrumentedSource.ts"
import * as Simulated from "./Simulated/SimulatedSource.ts"

/** Providers this build knows, by the name `SOURCES` uses. */
export const SourceName = Schema.Literals(["simulated"])
export type SourceName = typeof SourceName.Type

const SourceList = Schema.String.pipe(
  Schema.decodeTo(Schema.Array(SourceName), {
    decode: SchemaGetter.transform((s: string) => s.split(",").map((x) => x.trim()).filter((x) => x.length > 0) as Array<SourceName>),
    encode: SchemaGetter.transform((xs: ReadonlyArray<string>) => xs.join(","))
  }),
  Schema.check(Schema.makeFilter((xs: ReadonlyArray<string>) => xs.length > 0 || "list at least one source"))
)

const layerOf = (name: SourceName) => {
  switch (name) {
    case "simulated":
      return Simulated.layerConfig
  }
}

/**
 * The provider named first in `SOURCES` (default `simulated`), counted and
 * traced. Routing between several providers builds on this.
 */
export const layerConfig = Layer.unwrap(
  Effect.gen(function*() {
    const names = yield* Config.schema(SourceList, "SOURCES").pipe(Config.withDefault(["simulated" as const]))
    return instrumented(layerOf(names[0]!))
  })
)
