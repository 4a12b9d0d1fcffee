import { dayNumberOfEpochMs, fromDayNumber } from "@marketgate/domain/CalendarDate"
import { BackfillRequest } from "@marketgate/domain/Jobs"
import { Clock, Console, Effect, Option, Schema } from "effect"
import { Command, Flag, Prompt } from "effect/cli"
import { InstrumentCatalog } from "../Instruments/InstrumentCatalog.ts"
import { Backfill } from "../Jobs/Backfill.ts"
import type { Counts } from "../Jobs/JobResult.ts"
import { CliFailure } from "./CliFailure.ts"

/**
 * `npm run cli -- init`: the first run on a host. Asks which markets to serve and how
 * much daily history to load, then backfills it with progress lines. Every answer can
 * be given as a flag instead; with all of them (or without a terminal) nothing is asked:
 *
 *   npm run cli -- init --markets CN,US --from 2024-01-01 --to 2024-12-31
 *
 * The backfill is the same job as `backfill` (resumable: run it again after a kill).
 */

const MARKETS = ["CN", "US"] as const
type Market = (typeof MARKETS)[number]

const parseMarkets = (text: string) =>
  Effect.gen(function*() {
    const list = [...new Set(text.split(",").map((m) => m.trim().toUpperCase()).filter((m) => m.length > 0))]
    const bad = list.filter((m) => !(MARKETS as ReadonlyArray<string>).includes(m))
    if (list.length === 0 || bad.length > 0) {
      return yield* new CliFailure({ message: `--markets takes CN, US or CN,US${bad.length > 0 ? `, not ${bad.join(",")}` : ""}` })
    }
    return list as Array<Market>
  })

const isoDate = /^\d{4}-\d{2}-\d{2}$/
const datePrompt = (message: string, initial: string) =>
  Prompt.String({
    message,
    default: initial,
    validate: (value) => (isoDate.test(value.trim()) ? Effect.succeed(value.trim()) : Effect.fail("a date as YYYY-MM-DD"))
  })

const progressLine = (markets: ReadonlyArray<Market>) => (counts: Counts) =>
  `[init] ${markets.join("+")}: ${counts.done ?? 0}/${counts.symbols ?? 0} symbols · ${counts.written ?? 0} bars written · ` +
  `${counts.failed ?? 0} failed · ${counts.quarantined ?? 0} quarantined`

export const initCommand = Command.make(
  "init",
  {
    markets: Flag.String("markets").pipe(Flag.withDescription("markets to load: CN, US or CN,US"), Flag.optional),
    from: Flag.String("from").pipe(Flag.withDescription("first date of daily history, YYYY-MM-DD (asked: a year ago)"), Flag.optional),
    to: Flag.String("to").pipe(Flag.withDescription("last date, YYYY-MM-DD (asked: today)"), Flag.optional),
    yes: Flag.Boolean("yes").pipe(Flag.withDescription("do not ask for confirmation"), Flag.withDefault(false))
  },
  Effect.fn(function*(flags) {
    const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true
    const missing = [
      ...(Option.isNone(flags.markets) ? ["--markets"] : []),
      ...(Option.isNone(flags.from) ? ["--from"] : []),
      ...(Option.isNone(flags.to) ? ["--to"] : [])
    ]
    if (!interactive && missing.length > 0) {
      return yield* new CliFailure({ message: `no terminal to ask on: give ${missing.join(", ")} (npm run cli -- init --help)` })
    }
    const now = yield* Clock.currentTimeMillis
    const today = fromDayNumber(dayNumberOfEpochMs(now))
    const yearAgo = fromDayNumber(dayNumberOfEpochMs(now) - 365)
    const ask = <A>(prompt: Prompt.Prompt<A>) => prompt.pipe(Effect.mapError(() => new CliFailure({ message: "init cancelled" })))

    const markets = Option.isSome(flags.markets)
      ? yield* parseMarkets(flags.markets.value)
      : yield* ask(Prompt.MultiSelect({
        message: "Which markets should this instance serve?",
        choices: [
          { title: "CN: China A-shares (Shanghai, Shenzhen)", value: "CN" as Market, selected: true },
          { title: "US: US equities", value: "US" as Market, selected: true }
        ],
        min: 1
      }))
    const from = Option.isSome(flags.from) ? flags.from.value : yield* ask(datePrompt("Load daily history from", yearAgo))
    const to = Option.isSome(flags.to) ? flags.to.value : yield* ask(datePrompt("up to", today))
    // The same checks and messages as POST /v1/admin/backfill.
    const request = yield* Schema.decodeUnknownEffect(BackfillRequest)({ from, to }).pipe(
      Effect.mapError((error) => new CliFailure({ message: error.message }))
    )

    const catalog = yield* InstrumentCatalog
    const symbols = (yield* catalog.all).filter((i) => (markets as ReadonlyArray<string>).includes(i.market)).map((i) => i.symbol)
    if (symbols.length === 0) return yield* new CliFailure({ message: `no instruments listed for ${markets.join(", ")}` })
    yield* Console.log(`[init] ${symbols.length} instruments of ${markets.join(" and ")}, daily bars ${request.from} to ${request.to}`)
    if (interactive && !flags.yes && !(yield* ask(Prompt.Confirm({ message: "Start the backfill now?", initial: true })))) {
      return yield* new CliFailure({ message: "nothing loaded; run init again when ready" })
    }

    const outcome = yield* (yield* Backfill).run({ symbols, from: request.from, to: request.to }, "cli:init", (counts) =>
      Console.log(progressLine(markets)(counts)))
    if (outcome._tag !== "Finished") return yield* new CliFailure({ message: `backfill not started: ${outcome.reason}` })
    const summary = Object.entries(outcome.counts).map(([k, v]) => `${k}=${v}`).join(" ")
    yield* Console.log(`[init] run ${outcome.runId} ${outcome.status}: ${summary}`)
    if (outcome.status !== "succeeded") {
      return yield* new CliFailure({ message: "the backfill did not fill everything; running init (or backfill) again fetches only what is missing" })
    }
    yield* Console.log("[init] done: start the service with `npm start` (or `npm run cli -- service install`)")
  })
).pipe(Command.withDescription("First run on a host: choose the markets and the history range, then backfill them"))
