/**
 * `npm run cli -- init` as its own process against a scratch PostgreSQL database, with
 * its flags (no terminal): it backfills the chosen market's instruments only, printing
 * progress lines, and refuses what it cannot do with a sentence naming the flag.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawnCli } from "../support/ServiceProcess.ts"
import { checkClient, scratchDatabase } from "../support/TestDatabase.ts"

const cli = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.gen(function*() {
    const process = yield* spawnCli(args, { LOG_LEVEL: "warn", PREWARM_COUNT: "0", ...env })
    const code = yield* process.exited
    return { code, lines: process.lines }
  }).pipe(Effect.scoped)

describe("cli init", () => {
  it.live("with flags: backfills the chosen market with progress lines, and nothing else", () =>
    Effect.gen(function*() {
      const url = yield* scratchDatabase("init")
      const r = yield* cli(["init", "--markets", "US", "--from", "2024-12-02", "--to", "2024-12-03"], { DATABASE_URL: url })
      const output = r.lines.join("\n")
      assert.strictEqual(r.code, 0, output)
      const progress = r.lines.filter((l) => /^\[init\] US: \d+\/\d+ symbols/.test(l))
      assert.isAbove(progress.length, 2, output)
      const last = /^\[init\] US: (\d+)\/(\d+) symbols · (\d+) bars written/.exec(progress.at(-1)!)!
      assert.strictEqual(last[1], last[2], "every symbol done")
      assert.include(output, "succeeded")
      const sql = yield* checkClient(url)
      const markets = yield* sql<{ market: string; n: string }>`
        SELECT i.market, count(*) AS n FROM bars_daily b JOIN instruments i USING (symbol)
        WHERE b.date BETWEEN '2024-12-02' AND '2024-12-03' GROUP BY i.market`
      assert.deepStrictEqual(markets.map((m) => m.market), ["US"])
      assert.strictEqual(Number(markets[0]!.n), Number(last[3]))
    }).pipe(Effect.scoped), { timeout: 180_000 })

  it.live("without a terminal, a missing answer is a flag to give; a bad one is named", () =>
    Effect.gen(function*() {
      const url = yield* scratchDatabase("init_refuse")
      const missing = yield* cli(["init", "--from", "2024-12-02"], { DATABASE_URL: url })
      assert.strictEqual(missing.code, 1)
      assert.include(missing.lines.join("\n"), "no terminal to ask on: give --markets, --to")
      const market = yield* cli(["init", "--markets", "EU", "--from", "2024-12-02", "--to", "2024-12-03"], { DATABASE_URL: url })
      assert.strictEqual(market.code, 1)
      assert.include(market.lines.join("\n"), "--markets takes CN, US or CN,US, not EU")
      const range = yield* cli(["init", "--markets", "CN", "--from", "2024-12-05", "--to", "2024-12-03"], { DATABASE_URL: url })
      assert.strictEqual(range.code, 1)
      assert.include(range.lines.join("\n"), "from must not be after to")
    }).pipe(Effect.scoped), { timeout: 120_000 })
})
