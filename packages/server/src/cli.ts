import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { BackfillRequest } from "@marketgate/domain/Jobs"
import { Cause, ConfigProvider, Console, Effect, Exit, Layer, Option, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import { configuredParts, services } from "./App.ts"
import * as AuthLayer from "./Auth/AuthLayer.ts"
import { CliFailure } from "./Cli/CliFailure.ts"
import { ClientsCommand } from "./Cli/ClientsCommand.ts"
import { initCommand } from "./Cli/InitCommand.ts"
import { serviceCommand } from "./Cli/ServiceCommand.ts"
import { UsersCommand } from "./Cli/UsersCommand.ts"
import { Backfill } from "./Jobs/Backfill.ts"
import { IntegrityCheck } from "./Jobs/IntegrityCheck.ts"
import type { Counts } from "./Jobs/JobResult.ts"
import type { JobOutcome } from "./Jobs/JobRunner.ts"
import { Retention } from "./Jobs/Retention.ts"
import { Scheduler } from "./Jobs/Scheduler.ts"
import * as Logging from "./Observability/Logging.ts"
import { IngestRunRepo } from "./Store/IngestRunRepo.ts"

/**
 * Operator commands against the configured store and providers (the same
 * settings as the service: DATABASE_URL, SOURCES …). On PostgreSQL, jobs
 * take the same advisory locks as the service's, so a CLI backfill and a
 * running service never run the same job at once; on the embedded database
 * the CLI refuses to open a DATA_DIR a running service holds.
 *
 *   npm run cli -- backfill --from 2024-01-01 --to 2024-12-31 [--symbols A,B] [--rate-limit 20]
 *   npm run cli -- integrity-check
 *   npm run cli -- retention
 *   npm run cli -- jobs [--kind backfill] [--limit 20]
 *   npm run cli -- init [--markets CN,US --from … --to …]   (Cli/InitCommand.ts)
 *   npm run cli -- service install|uninstall|start|stop|status   (Cli/ServiceCommand.ts)
 *   npm run cli -- users add|list|disable|reset-mfa …   (Cli/UsersCommand.ts)
 *   npm run cli -- clients add|list|rotate|revoke …    (Cli/ClientsCommand.ts)
 */

const progressLine = (counts: Counts) =>
  `[backfill] ${counts.done ?? 0}/${counts.symbols ?? 0} symbols · ${counts.written ?? 0} bars written · ` +
  `${counts.fetched ?? 0} fetched · ${counts.failed ?? 0} failed · ${counts.quarantined ?? 0} quarantined`

/** Prints how a job ended; a run that did not succeed completely is a failure (non-zero exit). */
const report = (label: string, outcome: JobOutcome) =>
  Effect.gen(function*() {
    if (outcome._tag !== "Finished") return yield* new CliFailure({ message: `${label} not started: ${outcome.reason}` })
    const summary = Object.entries(outcome.counts).map(([k, v]) => `${k}=${v}`).join(" ")
    yield* Console.log(`[${label}] run ${outcome.runId} ${outcome.status}: ${summary}`)
    if (outcome.shortfall !== undefined) {
      return yield* new CliFailure({
        message: `${outcome.counts.failed} symbols could not be filled (see the warnings above); running the same command again retries only what is missing`
      })
    }
    if (outcome.status !== "succeeded") {
      return yield* new CliFailure({ message: `${label} run ${outcome.runId} ${outcome.status}; running it again resumes where it stopped` })
    }
  })

const backfill = Command.make(
  "backfill",
  {
    from: Flag.String("from").pipe(Flag.withDescription("first date, YYYY-MM-DD")),
    to: Flag.String("to").pipe(Flag.withDescription("last date, YYYY-MM-DD")),
    symbols: Flag.String("symbols").pipe(
      Flag.withDescription("comma-separated symbols (default: every listed instrument)"),
      Flag.optional
    ),
    rateLimit: Flag.Finite("rate-limit").pipe(
      Flag.withDescription("symbols started per second, at most (providers' own limits apply too)"),
      Flag.optional
    )
  },
  Effect.fn(function*({ from, rateLimit, symbols, to }) {
    const list = Option.map(symbols, (s) => s.split(",").map((x) => x.trim()).filter((x) => x.length > 0))
    // The same checks, with the same messages, as POST /v1/admin/backfill.
    const request = yield* Schema.decodeUnknownEffect(BackfillRequest)({
      from,
      to,
      ...(Option.isSome(list) ? { symbols: list.value } : {}),
      ...(Option.isSome(rateLimit) ? { rate_limit: rateLimit.value } : {})
    }).pipe(Effect.mapError((error) => new CliFailure({ message: error.message })))
    const jobs = yield* Backfill
    const outcome = yield* jobs.run(
      { symbols: request.symbols, from: request.from, to: request.to, ratePerSecond: request.rate_limit },
      "cli",
      (counts) => Console.log(progressLine(counts))
    )
    yield* report("backfill", outcome)
  })
).pipe(Command.withDescription("Fill daily history for a date range; killed midway, running it again completes the range"))

const integrityCheck = Command.make(
  "integrity-check",
  {},
  Effect.fn(function*() {
    const check = yield* IntegrityCheck
    yield* report("integrity", yield* check.run("cli"))
  })
).pipe(Command.withDescription("Backfill the sessions of the last INTEGRITY_WINDOW_DAYS trading days that tracked symbols lack"))

const retention = Command.make(
  "retention",
  {},
  Effect.fn(function*() {
    const job = yield* Retention
    yield* report("retention", yield* job.run("cli"))
  })
).pipe(Command.withDescription("Drop intraday partitions (and daily bars, if DAILY_RETENTION is set) past retention"))

const jobs = Command.make(
  "jobs",
  {
    kind: Flag.String("kind").pipe(Flag.withDescription("only runs of this kind"), Flag.optional),
    limit: Flag.Int("limit").pipe(Flag.withDescription("how many runs, latest first"), Flag.withDefault(20))
  },
  Effect.fn(function*({ kind, limit }) {
    const repo = yield* IngestRunRepo
    const runs = yield* repo.list({ kind: Option.getOrUndefined(kind), limit: Math.max(1, Math.min(500, limit)) }).pipe(
      Effect.mapError((error) => new CliFailure({ message: error.message }))
    )
    for (const run of runs) {
      const counts = Object.entries(run.counts).map(([k, v]) => `${k}=${v}`).join(" ")
      yield* Console.log(`${run.id}\t${run.kind}\t${run.trigger}\t${run.status}\t${run.startedAt}\t${run.finishedAt ?? "-"}\t${counts}`)
    }
  })
).pipe(Command.withDescription("Recent job runs (ingest_runs)"))

// The CLI runs no schedule of its own; logs default to warnings so progress stays readable (LOG_LEVEL overrides).
const Services = AuthLayer.layerConfig.pipe(
  Layer.provideMerge(services({ ...configuredParts, scheduler: Scheduler.layerNone })),
  Layer.provideMerge(Logging.layerConfig),
  Layer.provide(ConfigProvider.layerAdd(ConfigProvider.fromUnknown({ LOG_LEVEL: "Warn" })))
)

// Each command that needs the store gets the services; `service` needs none of them.
const marketgate = Command.make("marketgate").pipe(
  Command.withDescription("marketgate operator commands"),
  Command.withSubcommands([
    backfill.pipe(Command.provide(Services)),
    integrityCheck.pipe(Command.provide(Services)),
    retention.pipe(Command.provide(Services)),
    jobs.pipe(Command.provide(Services)),
    initCommand.pipe(Command.provide(Services)),
    UsersCommand.pipe(Command.provide(Services)),
    ClientsCommand.pipe(Command.provide(Services)),
    serviceCommand
  ])
)

marketgate.pipe(
  Command.run({ version: "1.0.0" }),
  Effect.provide(NodeServices.layer),
  Effect.tapCause((cause) =>
    Cause.hasInterruptsOnly(cause)
      ? Effect.void
      : Console.error(
        Cause.findErrorOption(cause).pipe(
          Option.map((e) => (e instanceof CliFailure ? e.message : String(e))),
          Option.getOrElse(() => Cause.pretty(cause))
        )
      )
  ),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) ? 0 : Cause.hasInterruptsOnly(exit.cause) ? 130 : 1)
  })
)
