import { assert, describe, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Logger, Redacted } from "effect"
import { jsonLine } from "../../src/Observability/Logging.ts"

/** Runs `effect` with a logger that keeps the JSON lines it would print. */
const captureLines = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    yield* effect.pipe(Effect.provide(Logger.layer([Logger.map(jsonLine, (line) => void lines.push(line))])))
    return lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  })

describe("JSON logs", () => {
  it.effect("one object per line with timestamp, level, message, trace and span ids and annotations", () =>
    Effect.gen(function*() {
      const [line] = yield* captureLines(
        Effect.logWarning("store read failed").pipe(
          Effect.annotateLogs({ request_id: "req-1", symbol: "600519.SH" }),
          Effect.withSpan("MarketData.bars")
        )
      )
      assert.strictEqual(line!.level, "warn")
      assert.strictEqual(line!.message, "store read failed")
      assert.strictEqual(line!.request_id, "req-1")
      assert.strictEqual(line!.symbol, "600519.SH")
      assert.match(String(line!.trace_id), /^[0-9a-f]{32}$/)
      assert.match(String(line!.span_id), /^[0-9a-f]{16}$/)
      assert.isFalse(Number.isNaN(Date.parse(String(line!.timestamp))))
    }))

  it.effect("secrets read as Redacted config never reach a log line", () =>
    Effect.gen(function*() {
      const url = "postgres://marketgate:s3cret-pw@db.internal:5432/marketgate"
      const lines = yield* captureLines(
        Effect.gen(function*() {
          const databaseUrl = yield* Config.Redacted("DATABASE_URL")
          yield* Effect.logInfo("connecting").pipe(Effect.annotateLogs({ database_url: databaseUrl }))
          yield* Effect.logInfo("config", { databaseUrl })
          assert.strictEqual(Redacted.value(databaseUrl), url)
        }).pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ DATABASE_URL: url }))))
      )
      assert.strictEqual(lines.length, 2)
      for (const line of lines) assert.notInclude(JSON.stringify(line), "s3cret-pw")
    }))

  it.effect("a failure's cause is rendered in the line", () =>
    Effect.gen(function*() {
      const [line] = yield* captureLines(Effect.logError("request failed", new Error("boom")))
      assert.strictEqual(line!.level, "error")
      assert.include(String(line!.message), "request failed")
    }))
})
