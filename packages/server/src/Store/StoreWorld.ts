import { Data, Effect } from "effect"
import { SqlClient } from "effect/sql"

/** The store was made by the other world: starting would mix simulated and real data. */
export class StoreWorldMismatch extends Data.TaggedError("StoreWorldMismatch")<{ readonly message: string }> {}

const advice = {
  demo: "start with SOURCES=simulated (the default) to keep using this demo store, or point DATA_DIR (or DATABASE_URL) at an empty store for real data",
  real: "start with real providers in SOURCES to keep using this store, or point DATA_DIR (or DATABASE_URL) at another store for the demo"
} as const

const describe = { demo: "the simulated demo world", real: "real providers' data" } as const

/**
 * Records on first start which world the store holds (`store_meta.world`) and
 * refuses to start the other one on it. A store from before this record was
 * kept is claimed by the world its stored bars belong to.
 */
export const claimWorld = (world: "demo" | "real", sources: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const mismatch = (held: "demo" | "real") =>
      new StoreWorldMismatch({
        message: `this store holds ${describe[held]}, and SOURCES=${sources.join(",")} is ${describe[world]}: ` +
          `the two never mix; ${advice[held]}`
      })
    const recorded = yield* sql<{ value: string }>`SELECT value FROM store_meta WHERE key = 'world'`
    const held = recorded[0]?.value
    if (held === "demo" || held === "real") {
      if (held !== world) return yield* mismatch(held)
      return
    }
    // No record yet: a new store, or one kept before the worlds were told apart.
    const [simulated] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM bars_daily WHERE source = 'simulated'`
    const [other] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM bars_daily WHERE source NOT IN ('simulated', 'calendar')`
    if (world === "real" && (simulated?.n ?? 0) > 0) return yield* mismatch("demo")
    if (world === "demo" && (other?.n ?? 0) > 0) return yield* mismatch("real")
    yield* sql`INSERT INTO store_meta (key, value) VALUES ('world', ${world}) ON CONFLICT (key) DO NOTHING`
    // Two instances starting at once: whichever wrote first decides.
    const [now] = yield* sql<{ value: string }>`SELECT value FROM store_meta WHERE key = 'world'`
    if (now !== undefined && now.value !== world) return yield* mismatch(now.value as "demo" | "real")
    yield* Effect.logInfo(`the store now holds ${describe[world]}`).pipe(Effect.annotateLogs({ world }))
  }).pipe(Effect.withSpan("Store.claimWorld"))
