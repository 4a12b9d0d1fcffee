import { readdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { assert, describe, layer } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { simulatedUniverse } from "../../src/Sources/Simulated/Universe.ts"
import { DailyBarRepo, type DailyBarRow } from "../../src/Store/DailyBarRepo.ts"
import * as Database from "../../src/Store/Database.ts"
import { IngestRunRepo } from "../../src/Store/IngestRunRepo.ts"
import { InstrumentRepo } from "../../src/Store/InstrumentRepo.ts"
import { IntradayRepo, type IntradayRow } from "../../src/Store/IntradayRepo.ts"
import { QuarantineRepo } from "../../src/Store/QuarantineRepo.ts"
import { tempDir, testDatabaseUrl } from "../support/TestDatabase.ts"

// scripts/backup.sh and scripts/restore.sh as an operator runs them, against
// the real PostgreSQL server: a database full of realistic rows is dumped,
// dropped, restored, and must come back byte for byte.

const scripts = Path.resolve(import.meta.dirname, "../../../../scripts")
const backupScript = Path.join(scripts, "backup.sh")
const restoreScript = Path.join(scripts, "restore.sh")

// --- running the scripts ------------------------------------------------------

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

// The scripts see only the variables a test gives them, not the caller's PG*/BACKUP_* ones.
const baseEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k, v]) =>
    v !== undefined && !/^(PG|BACKUP_|RESTORE_)/.test(k) && k !== "DATABASE_URL"
  )
) as Record<string, string>

const run = (script: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.promise(() =>
    new Promise<Run>((resolve) => {
      ChildProcess.execFile(
        script,
        [...args],
        { env: { ...baseEnv, ...env }, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1
          resolve({ code, stdout, stderr })
        }
      )
    })
  )

const explain = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`

// --- databases ------------------------------------------------------------------

const urlOf = (database: string, password?: string) => {
  const u = new URL(testDatabaseUrl)
  u.pathname = `/${database}`
  if (password !== undefined) u.password = password
  return u.toString()
}

const adminLayer = PgClient.layer({ url: Redacted.make(testDatabaseUrl), maxConnections: 1 })

const databasesStartingWith = (prefix: string) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    const rows = yield* sql<{ datname: string }>`
      SELECT datname FROM pg_database WHERE starts_with(datname, ${prefix}) ORDER BY datname`
    return rows.map((r) => r.datname)
  })

const dropDatabase = (name: string) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    yield* sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`
  })

/**
 * A uniquely named, empty database, dropped afterwards together with every
 * database whose name starts with it (what restore.sh might leave behind).
 */
const scratchDatabase = Effect.gen(function*() {
  const name = `mg_backup_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
  const sql = yield* PgClient.PgClient
  yield* Effect.acquireRelease(
    sql`CREATE DATABASE ${sql(name)}`,
    () =>
      databasesStartingWith(name).pipe(
        Effect.flatMap(Effect.forEach(dropDatabase, { discard: true })),
        Effect.orDie
      )
  )
  return name
})

/** Runs `f` with a short-lived client of `database`. */
const onDatabase = <A, E>(database: string, f: (sql: PgClient.PgClient) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    return yield* f(yield* PgClient.PgClient)
  }).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(urlOf(database)), maxConnections: 1 }))
  )

/** The service's own store over `database`: migrated on open, as at start-up. */
const store = (database: string) =>
  Layer.mergeAll(DailyBarRepo.layer, InstrumentRepo.layer, IntradayRepo.layer, IngestRunRepo.layer, QuarantineRepo.layer)
    .pipe(
      Layer.provideMerge(
        Database.layerFor({ _tag: "Server", url: Redacted.make(urlOf(database)), maxConnections: 2 })
      )
    )

// --- realistic contents ----------------------------------------------------------

/** Deterministic pseudo-random numbers in [0, 1). */
const random = (seed: number) => {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

/** The first `n` weekdays from 2022-01-03. */
const sessions = (n: number) => {
  const out: Array<string> = []
  for (let t = Date.UTC(2022, 0, 3); out.length < n; t += 86_400_000) {
    const wd = new Date(t).getUTCDay()
    if (wd !== 0 && wd !== 6) out.push(new Date(t).toISOString().slice(0, 10))
  }
  return out
}

const dailyBars = (symbols: ReadonlyArray<string>, days: ReadonlyArray<string>, runIds: ReadonlyArray<number>) => {
  const rows: Array<DailyBarRow> = []
  const checks = [["ohlc", "zero_volume"], [], ["ohlc", "limit,up", "quote\"d"], ["ohlc"]]
  symbols.forEach((symbol, s) => {
    const next = random(s + 1)
    let close = 5 + next() * 300
    days.forEach((date, d) => {
      const suspended = next() < 0.01
      const open = suspended ? close : close * (1 + (next() - 0.5) * 0.04)
      const last = suspended ? close : open * (1 + (next() - 0.5) * 0.06)
      const high = Math.max(open, last) * (suspended ? 1 : 1 + next() * 0.02)
      const low = Math.min(open, last) * (suspended ? 1 : 1 - next() * 0.02)
      // CN prices have two decimals; US ones keep every digit a double has.
      const px = (x: number) => (symbol.endsWith(".US") ? x : Math.round(x * 100) / 100)
      const [o, h, l, c] = [px(open), px(high), px(low), px(last)]
      const volume = suspended ? 0 : Math.floor(next() * 5e10) // past 32 bits on purpose
      rows.push({
        symbol,
        date,
        open: o,
        high: Math.max(o, h, l, c),
        low: Math.min(o, h, l, c),
        close: c,
        volume,
        amount: suspended ? 0 : volume * c + 0.1 + 0.2,
        adjFactor: 1,
        suspended,
        source: s % 3 === 0 ? "eastmoney" : s % 3 === 1 ? "sina" : "yahoo",
        fetchedAt: Date.UTC(2025, 0, 1) + s * 1_000 + d * 7,
        ingestRunId: d % 5 === 0 ? null : runIds[d % runIds.length]!,
        checks: checks[d % checks.length]!
      })
      close = c
    })
  })
  return rows
}

const intradayBars = (symbols: ReadonlyArray<string>): Array<IntradayRow> => {
  const rows: Array<IntradayRow> = []
  // The last session of January and the first of February 2024: two monthly partitions.
  const days = [Date.UTC(2024, 0, 31, 14, 30), Date.UTC(2024, 1, 1, 14, 30)]
  symbols.forEach((symbol, s) => {
    const next = random(1000 + s)
    let close = 50 + next() * 100
    for (const start of days) {
      for (let m = 0; m < 390; m++) {
        const open = close
        const c = Math.round(open * (1 + (next() - 0.5) * 0.002) * 100) / 100
        const volume = Math.floor(next() * 100_000)
        rows.push({
          symbol,
          interval: "1m",
          ts: start + m * 60_000,
          date: new Date(start).toISOString().slice(0, 10),
          open,
          high: Math.max(open, c) + 0.01,
          low: Math.min(open, c) - 0.01,
          close: c,
          volume,
          amount: volume * c,
          source: "yahoo",
          fetchedAt: start + m * 60_000 + 61_000,
          ingestRunId: null
        })
        close = c
      }
    }
  })
  return rows
}

/** Fills `database` through the service's repositories; returns the number of daily bars. */
const fill = (database: string, size: { readonly symbols: number; readonly sessions: number }) =>
  Effect.gen(function*() {
    const universe = simulatedUniverse()
    yield* (yield* InstrumentRepo).upsert(universe, "simulated")

    const runs = yield* IngestRunRepo
    const sync = yield* runs.start({ kind: "daily-sync", trigger: "schedule", params: { market: "CN", days: 5 }, instance: "mg-1" })
    const backfill = yield* runs.start({
      kind: "backfill",
      trigger: "admin",
      params: { symbols: ["600519.SH", "AAPL.US"], from: "2022-01-03", note: "naïve “quotes” ☂" },
      instance: "mg-2"
    })
    const failed = yield* runs.start({ kind: "integrity", trigger: "schedule", params: {}, instance: "mg-1" })
    yield* runs.start({ kind: "daily-sync", trigger: "schedule", params: { market: "US" }, instance: "mg-2" })
    yield* runs.finish(sync, { status: "succeeded", counts: { bars: 12_000, symbols: 24 } })
    yield* runs.finish(backfill, { status: "succeeded", counts: { bars: 500 } })
    yield* runs.finish(failed, { status: "failed", counts: {}, error: "provider said:\n\t'503' \\ retry later" })

    // Half CN, half US symbols of the simulated universe.
    const cn = universe.filter((i) => i.market === "CN").slice(0, Math.ceil(size.symbols / 2))
    const us = universe.filter((i) => i.market === "US").slice(0, Math.floor(size.symbols / 2))
    const symbols = [...cn, ...us].map((i) => i.symbol)
    const days = sessions(size.sessions)
    const bars = yield* DailyBarRepo
    const rows = dailyBars(symbols, days, [sync, backfill])
    assert.strictEqual(yield* bars.upsert(rows), rows.length)
    for (const symbol of symbols.slice(0, 3)) {
      yield* bars.recordActions(symbol, [
        { exDate: days[Math.floor(days.length / 3)]!, kind: "split", numerator: 2, denominator: 1, factor: 2 },
        { exDate: days[Math.floor(days.length / 2)]!, kind: "dividend", amount: 0.35, factor: 1.0123456789 }
      ], "eastmoney")
    }

    yield* (yield* QuarantineRepo).add([
      {
        symbol: symbols[0]!,
        date: days[1]!,
        source: "sina",
        rule: "ohlc",
        detail: "low 12.5 > open 12.1",
        payload: { open: 12.1, low: 12.5, raw: "2024-01-03,12.10,12.50", tags: ["a", null, true], 名称: "贵州茅台" },
        ingestRunId: sync
      },
      {
        symbol: symbols[1]!,
        date: days[2]!,
        source: "yahoo",
        rule: "zero_volume",
        detail: "volume 0 on a trading day",
        payload: { volume: 0, nested: { deep: [1, 2.5, -3e-7] } },
        ingestRunId: null
      }
    ])

    const intraday = intradayBars(symbols.slice(-2))
    assert.strictEqual(yield* (yield* IntradayRepo).upsert(intraday), intraday.length)
    return rows.length
  }).pipe(Effect.provide(store(database)))

// --- what must survive -------------------------------------------------------------

/** Table → key order of its rows. */
const tables = {
  instruments: "symbol",
  bars_daily: "symbol, date",
  corporate_actions: "symbol, ex_date, kind",
  ingest_runs: "id",
  quality_quarantine: "id",
  bars_intraday: "symbol, interval, ts",
  schema_migrations: "migration_id"
} as const

interface Snapshot {
  readonly counts: Record<string, number>
  /** Name → md5 of its rows (or definitions), as text, in key order. */
  readonly digests: Record<string, string>
}

/** Row counts and checksums of every table, plus partitions, indexes, constraints and sequences. */
const snapshot = (database: string) =>
  onDatabase(database, (sql) =>
    Effect.gen(function*() {
      const counts: Record<string, number> = {}
      const digests: Record<string, string> = {}
      for (const [table, key] of Object.entries(tables)) {
        const [row] = yield* sql.unsafe<{ n: number; md5: string }>(
          `SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY ${key}), '')) AS md5 FROM ${table} t`
        )
        counts[table] = row!.n
        digests[table] = row!.md5
      }
      const definitions = {
        partitions: `SELECT md5(string_agg(c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid), E'\\n' ORDER BY c.relname)) AS v
          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'bars_intraday'::regclass`,
        indexes: `SELECT md5(string_agg(indexdef, E'\\n' ORDER BY indexname)) AS v FROM pg_indexes WHERE schemaname = 'public'`,
        constraints: `SELECT md5(string_agg(conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid), E'\\n'
          ORDER BY conrelid::regclass::text, conname)) AS v FROM pg_constraint WHERE connamespace = 'public'::regnamespace`,
        sequences: `SELECT string_agg(sequencename || '=' || coalesce(last_value::text, 'unset'), ' ' ORDER BY sequencename) AS v
          FROM pg_sequences WHERE schemaname = 'public'`
      }
      for (const [name, query] of Object.entries(definitions)) {
        const [row] = yield* sql.unsafe<{ v: string | null }>(query)
        digests[name] = row!.v ?? "none"
      }
      return { counts, digests } satisfies Snapshot
    }))

/** The "rows in <db>:" table restore.sh prints. */
const printedCounts = (stdout: string) =>
  Object.fromEntries([...stdout.matchAll(/^ {2}(\w+) +(\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]))

const dumpName = (database: string) => new RegExp(`^${database}-\\d{8}T\\d{6}\\.\\d{3}Z\\.dump$`)

const listDir = (dir: string) => Effect.promise(() => Fs.readdir(dir).then((names) => names.sort()))

const migrationCount = readdirSync(fileURLToPath(new URL("../../src/Store/migrations/", import.meta.url))).filter((f) => /^\d{4}_\w+\.ts$/.test(f)).length

describe("backup.sh and restore.sh", () => {
  // Real processes and a real server: the live clock, not the TestClock.
  layer(adminLayer, { timeout: "120 seconds", excludeTestServices: true })("against PostgreSQL", (it) => {
    it.effect("a backup restored after the database is dropped brings back every row, byte for byte", () =>
      Effect.gen(function*() {
        const db = yield* scratchDatabase
        const dir = yield* tempDir("mg-backup-")
        const backups = Path.join(dir, "backups")
        const uploaded = Path.join(dir, "uploaded")
        yield* Effect.promise(() => Fs.mkdir(uploaded))
        const bars = yield* fill(db, { symbols: 24, sessions: 500 })
        const before = yield* snapshot(db)
        assert.strictEqual(before.counts.bars_daily, 12_000)
        assert.strictEqual(bars, 12_000)
        assert.isAbove(before.counts.instruments!, 500)
        assert.strictEqual(before.counts.corporate_actions, 6)
        assert.strictEqual(before.counts.ingest_runs, 4)
        assert.strictEqual(before.counts.quality_quarantine, 2)
        assert.strictEqual(before.counts.bars_intraday, 2 * 2 * 390)
        // One row per migration of Store/migrations (issue 11 added the accounts tables, 0010 on).
        assert.strictEqual(before.counts.schema_migrations, migrationCount)
        assert.match(before.digests.partitions!, /^[0-9a-f]{32}$/)

        // A password in the URL (the server trusts us and ignores it) must never be printed.
        const password = "Hunter2-s3cret@pw"
        const backup = yield* run(backupScript, [urlOf(db, password)], {
          BACKUP_DIR: backups,
          BACKUP_UPLOAD_CMD: `cp -t '${uploaded}'`
        })
        assert.strictEqual(backup.code, 0, explain(backup))
        const file = backup.stdout.trim()
        assert.strictEqual(Path.dirname(file), backups)
        assert.match(Path.basename(file), dumpName(db))
        // Only the finished dump is left: no temporary file next to it.
        assert.deepStrictEqual(yield* listDir(backups), [Path.basename(file)])
        const output = backup.stdout + backup.stderr
        assert.notInclude(output, password)
        assert.notInclude(output, encodeURIComponent(password))
        assert.notInclude(output, "s3cret")
        // The upload hook got the file itself.
        const [local, remote] = yield* Effect.promise(() =>
          Promise.all([Fs.readFile(file), Fs.readFile(Path.join(uploaded, Path.basename(file)))])
        )
        assert.isTrue(local.equals(remote))

        yield* dropDatabase(db)
        assert.deepStrictEqual(yield* databasesStartingWith(db), [])

        const restore = yield* run(restoreScript, [file, urlOf(db, password)])
        assert.strictEqual(restore.code, 0, explain(restore))
        assert.notInclude(restore.stdout + restore.stderr, "s3cret")
        assert.deepStrictEqual(printedCounts(restore.stdout), before.counts)
        const after = yield* snapshot(db)
        assert.deepStrictEqual(after, before)
        assert.deepStrictEqual(yield* databasesStartingWith(db), [db])

        // The service opens the restored database as it is: nothing left to
        // migrate, bars readable, and new runs get fresh ids (sequences restored).
        yield* Effect.gen(function*() {
          const symbol = simulatedUniverse()[0]!.symbol
          const read = yield* (yield* DailyBarRepo).range(symbol, "2022-01-01", "2030-01-01")
          assert.strictEqual(read.length, 500)
          const id = yield* (yield* IngestRunRepo).start({ kind: "after-restore", trigger: "test", params: {}, instance: "t" })
          assert.strictEqual(id, 5)
        }).pipe(Effect.provide(store(db)))
        assert.strictEqual((yield* snapshot(db)).counts.schema_migrations, migrationCount)
      }))

    it.effect("refuses to overwrite a non-empty database unless forced; a failed forced restore changes nothing", () =>
      Effect.gen(function*() {
        const db = yield* scratchDatabase
        const dir = yield* tempDir("mg-backup-")
        yield* fill(db, { symbols: 6, sessions: 300 })
        const original = yield* snapshot(db)
        const backup = yield* run(backupScript, [], { DATABASE_URL: urlOf(db), BACKUP_DIR: dir })
        assert.strictEqual(backup.code, 0, explain(backup))
        const file = backup.stdout.trim()

        // Into an existing but empty database: restored in place.
        const empty = `${db}_empty`
        const admin = yield* PgClient.PgClient
        yield* admin`CREATE DATABASE ${admin(empty)}`
        const intoEmpty = yield* run(restoreScript, [file, urlOf(empty)])
        assert.strictEqual(intoEmpty.code, 0, explain(intoEmpty))
        assert.deepStrictEqual(yield* snapshot(empty), original)

        // The live database moves on: rows deleted, a table added.
        yield* onDatabase(db, (sql) =>
          Effect.gen(function*() {
            yield* sql`DELETE FROM bars_daily WHERE date < '2022-06-01'`
            yield* sql`CREATE TABLE scratch (id int)`
          }))
        const changed = yield* snapshot(db)
        assert.isBelow(changed.counts.bars_daily!, original.counts.bars_daily!)
        const hasScratch = onDatabase(db, (sql) =>
          sql<{ t: string | null }>`SELECT to_regclass('public.scratch')::text AS t`.pipe(Effect.map((r) => r[0]!.t !== null)))

        const refused = yield* run(restoreScript, [file, urlOf(db)])
        assert.strictEqual(refused.code, 4, explain(refused))
        assert.include(refused.stderr, "--force")
        assert.deepStrictEqual(yield* snapshot(db), changed)

        // A dump cut short fails half-way through its data: the target stays as it was.
        const truncated = Path.join(dir, "truncated.dump")
        const bytes = yield* Effect.promise(() => Fs.readFile(file))
        yield* Effect.promise(() => Fs.writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6))))
        const cut = yield* run(restoreScript, ["--force", truncated, urlOf(db)])
        assert.strictEqual(cut.code, 6, explain(cut))
        assert.deepStrictEqual(yield* snapshot(db), changed)
        assert.isTrue(yield* hasScratch)
        assert.deepStrictEqual(yield* databasesStartingWith(db), [db, empty])
        // … and into a missing database it leaves no database behind.
        const cutNew = yield* run(restoreScript, [truncated, urlOf(`${db}_new`)])
        assert.strictEqual(cutNew.code, 6, explain(cutNew))
        assert.deepStrictEqual(yield* databasesStartingWith(db), [db, empty])

        // Not a dump at all.
        const garbage = Path.join(dir, "garbage.dump")
        yield* Effect.promise(() => Fs.writeFile(garbage, "not a dump\n"))
        const bad = yield* run(restoreScript, [garbage, urlOf(`${db}_new`)])
        assert.strictEqual(bad.code, 3, explain(bad))
        assert.deepStrictEqual(yield* databasesStartingWith(db), [db, empty])

        const forced = yield* run(restoreScript, [file, urlOf(db)], { RESTORE_FORCE: "1" })
        assert.strictEqual(forced.code, 0, explain(forced))
        assert.deepStrictEqual(yield* snapshot(db), original)
        assert.isFalse(yield* hasScratch)
        assert.deepStrictEqual(yield* databasesStartingWith(db), [db, empty])
      }))

    it.effect("keeps only the newest BACKUP_KEEP backups of the database, and prunes nothing when the upload fails", () =>
      Effect.gen(function*() {
        const db = yield* scratchDatabase
        const dir = yield* tempDir("mg-backup-")
        yield* fill(db, { symbols: 2, sessions: 50 })
        // Files that are not this database's backups must survive pruning.
        const others = [`${db}-notes.dump`, "notes.txt", "other-20200101T000000.000Z.dump"]
        for (const name of others) yield* Effect.promise(() => Fs.writeFile(Path.join(dir, name), "keep me"))

        const written: Array<string> = []
        for (let i = 0; i < 5; i++) {
          const r = yield* run(backupScript, [urlOf(db)], { BACKUP_DIR: dir, BACKUP_KEEP: "3" })
          assert.strictEqual(r.code, 0, explain(r))
          written.push(Path.basename(r.stdout.trim()))
        }
        // Names sort in the order they were written.
        assert.deepStrictEqual([...written].sort(), written)
        assert.strictEqual(new Set(written).size, 5)
        assert.deepStrictEqual(yield* listDir(dir), [...others, ...written.slice(2)].sort())

        const failing = yield* run(backupScript, [urlOf(db)], {
          BACKUP_DIR: dir,
          BACKUP_KEEP: "3",
          BACKUP_UPLOAD_CMD: "exit 7 #"
        })
        assert.strictEqual(failing.code, 5, explain(failing))
        assert.include(failing.stderr, "BACKUP_UPLOAD_CMD failed (exit 7)")
        const kept = Path.basename(failing.stdout.trim())
        assert.match(kept, dumpName(db))
        assert.deepStrictEqual(yield* listDir(dir), [...others, ...written.slice(2), kept].sort())
      }))

    it.effect("a bad URL fails with exit 3, leaves no file and never prints the password", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir("mg-backup-")
        const password = "Tr0ub4dor&3-pw@x"
        const missing = `mg_backup_missing_${process.pid}`
        const refused = new URL(testDatabaseUrl)
        refused.port = "1"
        refused.password = password
        for (const url of [urlOf(missing, password), refused.toString()]) {
          const r = yield* run(backupScript, [url], { BACKUP_DIR: dir })
          assert.strictEqual(r.code, 3, explain(r))
          assert.include(r.stderr, "pg_dump of postgres://")
          assert.include(r.stderr, ":***@")
          for (const secret of [password, encodeURIComponent(password), "Tr0ub4dor"]) {
            assert.notInclude(r.stdout + r.stderr, secret)
          }
          assert.strictEqual(r.stdout, "")
          assert.deepStrictEqual(yield* listDir(dir), [])
        }

        const usage = yield* run(backupScript, [], {})
        assert.strictEqual(usage.code, 2, explain(usage))
        assert.include(usage.stderr, "Usage:")
        const keep = yield* run(backupScript, [urlOf(missing)], { BACKUP_DIR: dir, BACKUP_KEEP: "0" })
        assert.strictEqual(keep.code, 2, explain(keep))
        assert.deepStrictEqual(yield* listDir(dir), [])
      }))
  })
})
