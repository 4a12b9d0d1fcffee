import { NotReady } from "@marketgate/domain/ApiErrors"
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { InstrumentCatalog } from "../Instruments/InstrumentCatalog.ts"

/**
 * Whether this instance should receive traffic: the store answers (it was
 * migrated before the server started) and the instrument catalog is loaded.
 */
export class Readiness extends Context.Service<Readiness, {
  readonly check: Effect.Effect<Record<string, string>, NotReady>
}>()("@marketgate/server/Http/Readiness") {
  static readonly layer = Layer.effect(
    Readiness,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const catalog = yield* InstrumentCatalog
      const store = sql`SELECT 1`.pipe(
        Effect.timeout("2 seconds"),
        Effect.as("ok"),
        Effect.catch((error) => Effect.succeed(`failing: ${error.message}`))
      )
      const instruments = Effect.map(catalog.ready, (ready) => (ready ? "ok" : "failing: no instrument listing loaded yet"))
      const check = Effect.gen(function*() {
        const [s, i] = yield* Effect.all([store, instruments], { concurrency: 2 })
        const checks = { store: s, instruments: i }
        const failing = Object.entries(checks).filter(([, v]) => v !== "ok").map(([k]) => k)
        if (failing.length > 0) {
          return yield* new NotReady({
            message: `not ready: ${failing.map((k) => `${k} ${checks[k as keyof typeof checks]}`).join("; ")}`,
            failing
          })
        }
        return checks
      }).pipe(Effect.withSpan("Readiness.check"))
      return Readiness.of({ check })
    })
  )
}
