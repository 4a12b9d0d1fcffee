import { assert, layer } from "@effect/vitest"
import type { IsoDate } from "@marketgate/domain/CalendarDate"
import { Effect, Layer } from "effect"
import { SqlClient, Statement } from "effect/sql"
import { AuditRepo } from "../../src/Auth/AuditRepo.ts"
import { AuthStateRepo } from "../../src/Auth/AuthStateRepo.ts"
import { ClientRepo } from "../../src/Auth/ClientRepo.ts"
import { SessionRepo } from "../../src/Auth/SessionRepo.ts"
import { TokenRepo } from "../../src/Auth/TokenRepo.ts"
import { UserRepo } from "../../src/Auth/UserRepo.ts"
import { simulatedUniverse } from "../../src/Sources/Simulated/Universe.ts"
import { DailyBarRepo } from "../../src/Store/DailyBarRepo.ts"
import { IngestRunRepo } from "../../src/Store/IngestRunRepo.ts"
import { InstrumentRepo } from "../../src/Store/InstrumentRepo.ts"
import { claimWorld } from "../../src/Store/StoreWorld.ts"
import { IntradayRepo } from "../../src/Store/IntradayRepo.ts"
import { QuarantineRepo } from "../../src/Store/QuarantineRepo.ts"
import { WatchlistRepo } from "../../src/Watchlist/WatchlistRepo.ts"
import { freshPostgres } from "../support/TestDatabase.ts"

// Issue 5 item 9: every index has a query that uses it. On a fresh database
// filled like a running deployment (and ANALYZEd, planner settings left at
// their defaults), each repository method is called, the statements it sends
// are recorded as sent (SQL text and bind parameters), and each one is run
// again under EXPLAIN (FORMAT JSON) to see which index the plan reads.
// docs/database.md lists the same queries with their plans.

const universe = simulatedUniverse()
const everyNth = (n: number) => universe.filter((_, i) => i % n === 0).map((i) => i.symbol)
/** ~400 symbols with three years of daily bars (~317,000 rows). */
const dailySymbols = everyNth(11)
/** ~150 symbols with 5m and 30m bars for January–March 2025 (~525,000 rows in three month partitions). */
const intradaySymbols = everyNth(30)
const symbol = dailySymbols[57]!
const intradaySymbol = intradaySymbols[40]!

const fill = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // The listing as the catalog refresh writes it.
  yield* (yield* InstrumentRepo).upsert(universe, "simulated")
  // Daily bars in the order the daily sync writes them: one session at a time, every symbol.
  yield* sql`
    INSERT INTO bars_daily (symbol, date, open, high, low, close, volume, amount, adj_factor, suspended, source, fetched_at, checks)
    SELECT s.symbol, d::date, p, p * 1.02, p * 0.98, p * 1.01, v, v * p, 1, false, 'simulated', d + interval '16 hours', '{ohlc}'
    FROM generate_series('2022-01-03'::date, '2024-12-31'::date, interval '1 day') AS d
    CROSS JOIN unnest(${dailySymbols}::text[]) WITH ORDINALITY AS s(symbol, n)
    CROSS JOIN LATERAL (SELECT 5 + s.n % 200 + extract(doy FROM d) / 100.0 AS p,
                               100000 + (s.n * 7919 + extract(doy FROM d)::int * 104729) % 900000 AS v) AS x
    WHERE extract(isodow FROM d) < 6
    ORDER BY d, s.symbol`
  // A dividend a quarter per symbol.
  yield* sql`
    INSERT INTO corporate_actions (symbol, ex_date, kind, amount, factor, source)
    SELECT s.symbol, '2022-01-10'::date + (k * 91 + s.n % 60)::int, 'dividend', 0.1, 0.99, 'simulated'
    FROM unnest(${dailySymbols}::text[]) WITH ORDINALITY AS s(symbol, n), generate_series(0, 11) AS k`
  // Job runs as the schedule makes them over seven months of weekdays: an intraday
  // refresh every 5 minutes of each session, one daily sync per market, nightly
  // retention, a weekly integrity check and an occasional backfill (~22,500 runs).
  yield* sql`
    INSERT INTO ingest_runs (kind, trigger, status, started_at, finished_at, counts, instance)
    SELECT kind, 'schedule', CASE WHEN extract(minute FROM t)::int % 47 = 0 THEN 'failed' ELSE 'succeeded' END, t, t + interval '20 seconds', '{"ok": 1}', 'instance-' || extract(minute FROM t)::int % 3
    FROM generate_series('2024-06-03'::date, '2024-12-31'::date, interval '1 day') AS d,
    LATERAL (
      SELECT 'intraday_refresh:CN', d + interval '1 hour 30 minutes' + k * interval '5 minutes' FROM generate_series(0, 65) AS k
      UNION ALL SELECT 'intraday_refresh:US', d + interval '13 hours 30 minutes' + k * interval '5 minutes' FROM generate_series(0, 78) AS k
      UNION ALL SELECT 'daily_sync:CN', d + interval '8 hours'
      UNION ALL SELECT 'daily_sync:US', d + interval '21 hours 30 minutes'
      UNION ALL SELECT 'retention', d + interval '3 hours 30 minutes'
      UNION ALL SELECT 'integrity', d + interval '22 hours' WHERE extract(isodow FROM d) = 5
      UNION ALL SELECT 'backfill', d + interval '10 hours' WHERE extract(day FROM d) IN (1, 15)
    ) AS r(kind, t)
    WHERE extract(isodow FROM d) < 6
    ORDER BY t`
  yield* sql`
    INSERT INTO quality_quarantine (symbol, date, source, rule, detail, payload, ingest_run_id, quarantined_at)
    SELECT (${dailySymbols}::text[])[1 + i % ${dailySymbols.length}], '2022-01-03'::date + (i * 7) % 1090, 'simulated',
           (ARRAY['ohlc', 'price_jump', 'stale_repeat', 'zero_volume', 'daily_limit'])[1 + i % 5], 'rejected by rule',
           jsonb_build_object('open', 10, 'high', 9, 'low', 11, 'close', 10), 1 + i % 19000,
           '2024-06-03'::timestamptz + i * interval '1 hour'
    FROM generate_series(1, 6000) AS i`
  // The repository creates the month partitions as it writes (January–March 2025) …
  yield* (yield* IntradayRepo).upsert(["2025-01-02", "2025-02-03", "2025-03-03"].map((date) => ({
    symbol: intradaySymbols[0]!,
    interval: "5m" as const,
    ts: Date.parse(`${date}T01:25:00Z`),
    date,
    open: 10,
    high: 10,
    low: 10,
    close: 10,
    volume: 0,
    amount: 0,
    source: "simulated",
    fetchedAt: Date.parse(`${date}T08:00:00Z`),
    ingestRunId: null
  })))
  // … and the refreshes fill them, bar time by bar time.
  yield* sql`
    INSERT INTO bars_intraday (symbol, interval, ts, date, open, high, low, close, volume, amount, source, fetched_at)
    SELECT s.symbol, iv.interval, d + interval '1 hour 30 minutes' + k * iv.step, d::date,
           p, p * 1.002, p * 0.998, p * 1.001, 1000, 1000 * p, 'simulated', d + interval '8 hours'
    FROM generate_series('2025-01-02'::date, '2025-03-31'::date, interval '1 day') AS d
    CROSS JOIN unnest(${intradaySymbols}::text[]) WITH ORDINALITY AS s(symbol, n)
    CROSS JOIN (VALUES ('5m', interval '5 minutes', 48), ('30m', interval '30 minutes', 8)) AS iv(interval, step, bars)
    CROSS JOIN LATERAL generate_series(0, iv.bars - 1) AS k
    CROSS JOIN LATERAL (SELECT 5 + s.n % 100 + k / 100.0 AS p) AS x
    WHERE extract(isodow FROM d) < 6
    ORDER BY 3, 1, 2`
  // Accounts (issue 11) as a deployment a year in: 5,000 users, 500 API clients issuing a token
  // each 15 minutes (35,000 tokens, a tenth revoked), 20,000 sessions (a third ended), 400,000 audit rows.
  yield* sql`
    INSERT INTO users (username, email, role, password_hash, created_at, updated_at)
    SELECT 'user' || i, 'user' || i || '@example.com', (ARRAY['viewer', 'analyst', 'admin'])[1 + i % 3], '$argon2id$v=19$m=19456,t=2,p=1$x$y',
           '2024-01-01'::timestamptz + i * interval '1 hour', '2024-01-01'::timestamptz + i * interval '1 hour'
    FROM generate_series(1, 5000) AS i`
  yield* sql`
    INSERT INTO api_clients (client_id, name, role, secret_hash, created_by, created_at)
    SELECT 'mgc_client' || lpad(i::text, 8, '0'), 'client ' || i, (ARRAY['viewer', 'analyst', 'admin'])[1 + i % 3], 'hash', 'test',
           '2024-01-01'::timestamptz + i * interval '1 day'
    FROM generate_series(1, 500) AS i`
  yield* sql`
    INSERT INTO oauth_tokens (token_hash, client_id, role, scope, created_at, expires_at, revoked, revoked_at)
    SELECT md5(i::text) || md5((i * 7)::text), 'mgc_client' || lpad((1 + i % 500)::text, 8, '0'), 'viewer', 'viewer',
           '2025-03-01'::timestamptz + i * interval '15 seconds', '2025-03-01'::timestamptz + i * interval '15 seconds' + interval '1 hour', i % 10 = 0,
           CASE WHEN i % 10 = 0 THEN '2025-03-01'::timestamptz + i * interval '15 seconds' + interval '10 minutes' END
    FROM generate_series(1, 35000) AS i`
  yield* sql`
    INSERT INTO sessions (id, user_id, created_at, expires_at, ip_address, user_agent, ended_at)
    SELECT md5('s' || i) || md5('t' || i), 1 + i % 5000, '2025-03-01'::timestamptz + i * interval '20 seconds',
           '2025-03-01'::timestamptz + i * interval '20 seconds' + interval '30 minutes', ('10.0.' || (i % 250) || '.' || (i % 200))::inet, 'Mozilla/5.0',
           CASE WHEN i % 3 = 0 THEN '2025-03-01'::timestamptz + i * interval '20 seconds' + interval '10 minutes' END
    FROM generate_series(1, 20000) AS i`
  yield* sql`
    INSERT INTO audit_logs (created_at, user_id, client_id, actor, action, outcome, ip_address, user_agent, request_id, trace_id)
    SELECT '2024-03-01'::timestamptz + i * interval '1 minute',
           CASE WHEN i % 4 = 0 THEN NULL ELSE 1 + i % 5000 END,
           CASE WHEN i % 4 = 0 THEN 'mgc_client' || lpad((1 + i % 500)::text, 8, '0') END,
           'actor', (ARRAY['login', 'logout', 'token.issued', 'token.revoked', 'mfa.enabled', 'admin.backfill'])[1 + i % 6],
           CASE WHEN i % 9 = 0 THEN 'failure' ELSE 'success' END, ('10.' || (i % 200) || '.' || (i % 100) || '.1')::inet, 'curl/8', 'r' || i, 't' || i
    FROM generate_series(1, 400000) AS i`
  yield* sql`INSERT INTO auth_state (name, value) VALUES ('hmac_key', 'k'), ('other', 'v')`
  // Watchlists (issue 12): 2,000 of the users follow 25 symbols each (50,000 rows).
  yield* sql`
    INSERT INTO watchlist_items (user_id, symbol, position, added_at)
    SELECT u, (${dailySymbols}::text[])[1 + (u * 7 + k) % ${dailySymbols.length}], k, '2025-01-01'::timestamptz + (u * 25 + k) * interval '1 minute'
    FROM generate_series(1, 2000) AS u, generate_series(0, 24) AS k`
  yield* sql`ANALYZE`
})

type Repos = DailyBarRepo | InstrumentRepo | QuarantineRepo | IngestRunRepo | IntradayRepo | AuthRepos | WatchlistRepo | SqlClient.SqlClient
type AuthRepos = UserRepo | ClientRepo | TokenRepo | SessionRepo | AuditRepo | AuthStateRepo

/** A repository call, and which of the statements it sends is meant (when it sends several). */
interface Query {
  readonly name: string
  readonly call: Effect.Effect<unknown, unknown, Repos>
  readonly statement?: RegExp
}

const ms = (iso: string) => Date.parse(iso)
const day = (iso: string) => iso as IsoDate

/** Every statement the repositories send that reads or writes through a table. */
const Q = {
  instrumentsAll: { name: "InstrumentRepo.all", call: InstrumentRepo.use((r) => r.all) },
  instrumentsUpsert: {
    name: "InstrumentRepo.upsert",
    call: InstrumentRepo.use((r) => r.upsert(universe.slice(0, 50).map((i) => ({ ...i, name: `${i.name} (renamed)` })), "simulated"))
  },
  instrumentsListedBy: { name: "InstrumentRepo.listedBy", call: InstrumentRepo.use((r) => r.listedBy("US", "simulated")) },
  instrumentsMarkDelisted: {
    name: "InstrumentRepo.markDelisted",
    call: InstrumentRepo.use((r) => r.markDelisted(universe.slice(0, 3).map((i) => i.symbol), "2025-01-02"))
  },
  storeWorldClaim: { name: "StoreWorld.claimWorld", call: claimWorld("demo", ["simulated"]), statement: /INSERT INTO store_meta/ },
  barsRange: { name: "DailyBarRepo.range", call: DailyBarRepo.use((r) => r.range(symbol, day("2024-03-01"), day("2024-06-28"))) },
  barsLastBefore: { name: "DailyBarRepo.lastBefore", call: DailyBarRepo.use((r) => r.lastBefore(symbol, day("2024-06-03"))) },
  barsLatestAdjFactor: { name: "DailyBarRepo.latestAdjFactor", call: DailyBarRepo.use((r) => r.latestAdjFactor(symbol)) },
  barsLineage: { name: "DailyBarRepo.lineage", call: DailyBarRepo.use((r) => r.lineage(symbol, day("2024-06-03"))) },
  barsSymbols: { name: "DailyBarRepo.symbols", call: DailyBarRepo.use((r) => r.symbols) },
  barsUpsert: {
    name: "DailyBarRepo.upsert",
    call: DailyBarRepo.use((r) =>
      r.upsert([{
        symbol,
        date: day("2024-06-03"),
        open: 10,
        high: 11,
        low: 9,
        close: 10.5,
        volume: 1000,
        amount: 10500,
        adjFactor: 1,
        suspended: false,
        source: "simulated",
        fetchedAt: ms("2024-06-03T08:00:00Z"),
        ingestRunId: 5,
        checks: ["ohlc"]
      }])
    )
  },
  barsDeleteBefore: { name: "DailyBarRepo.deleteBefore", call: DailyBarRepo.use((r) => r.deleteBefore(day("2022-02-01"))) },
  actions: { name: "DailyBarRepo.actions", call: DailyBarRepo.use((r) => r.actions(symbol)) },
  // A new action: recorded, then the stored bars from its ex-date on rescaled.
  recordActionsInsert: {
    name: "DailyBarRepo.recordActions (insert)",
    statement: /INSERT INTO corporate_actions/,
    call: DailyBarRepo.use((r) =>
      r.recordActions(symbol, [{ exDate: day("2024-11-04"), kind: "split", factor: 0.5, numerator: 2, denominator: 1 }], "simulated")
    )
  },
  recordActionsRescale: {
    name: "DailyBarRepo.recordActions (rescale)",
    statement: /UPDATE bars_daily/,
    call: DailyBarRepo.use((r) =>
      r.recordActions(symbol, [{ exDate: day("2024-11-04"), kind: "split", factor: 0.5, numerator: 2, denominator: 1 }], "simulated")
    )
  },
  runStart: {
    name: "IngestRunRepo.start",
    call: IngestRunRepo.use((r) => r.start({ kind: "backfill", trigger: "api", params: {}, instance: "instance-0" }))
  },
  runUpdate: { name: "IngestRunRepo.update", call: IngestRunRepo.use((r) => r.update(12345, { ok: 3 })) },
  runFinish: {
    name: "IngestRunRepo.finish",
    call: IngestRunRepo.use((r) => r.finish(12345, { status: "succeeded", counts: { ok: 3 } }))
  },
  runGet: { name: "IngestRunRepo.get", call: IngestRunRepo.use((r) => r.get(12345)) },
  // Every run first marks runs of its kind that never finished as interrupted.
  runAbandon: { name: "IngestRunRepo.abandon", call: IngestRunRepo.use((r) => r.abandon("daily_sync:CN")) },
  runAbandonFrequent: {
    name: "IngestRunRepo.abandon (intraday refresh)",
    call: IngestRunRepo.use((r) => r.abandon("intraday_refresh:US"))
  },
  // GET /v1/admin/jobs?kind=daily_sync:CN — a kind the schedule runs once a day.
  runListKind: { name: "IngestRunRepo.list({ kind })", call: IngestRunRepo.use((r) => r.list({ kind: "daily_sync:CN", limit: 50 })) },
  runList: { name: "IngestRunRepo.list()", call: IngestRunRepo.use((r) => r.list({ limit: 50 })) },
  quarantineForBar: { name: "QuarantineRepo.forBar", call: QuarantineRepo.use((r) => r.forBar(symbol, day("2023-04-03"))) },
  quarantineAdd: {
    name: "QuarantineRepo.add",
    call: QuarantineRepo.use((r) =>
      r.add([{ symbol, date: day("2023-04-03"), source: "simulated", rule: "ohlc", detail: "low > open", payload: {}, ingestRunId: 7 }])
    )
  },
  // One session of 5-minute bars (GET /v1/bars?interval=5m): one partition.
  intradayRange: {
    name: "IntradayRepo.range",
    call: IntradayRepo.use((r) => r.range(intradaySymbol, "5m", ms("2025-03-10T00:00:00Z"), ms("2025-03-11T00:00:00Z")))
  },
  // A range across a month boundary: two partitions.
  intradayRangeTwoMonths: {
    name: "IntradayRepo.range (two months)",
    call: IntradayRepo.use((r) => r.range(intradaySymbol, "5m", ms("2025-02-25T00:00:00Z"), ms("2025-03-05T00:00:00Z")))
  },
  // The intraday refresh asks for the pairs with bars in the last 7 days.
  intradayTracked: { name: "IntradayRepo.tracked", call: IntradayRepo.use((r) => r.tracked(ms("2025-03-24T00:00:00Z"))) },
  intradayUpsert: {
    name: "IntradayRepo.upsert",
    statement: /INSERT INTO bars_intraday/,
    call: IntradayRepo.use((r) =>
      r.upsert([{
        symbol: intradaySymbol,
        interval: "5m",
        ts: ms("2025-03-10T01:30:00Z"),
        date: day("2025-03-10"),
        open: 10,
        high: 10.5,
        low: 9.5,
        close: 10,
        volume: 1200,
        amount: 12000,
        source: "simulated",
        fetchedAt: ms("2025-03-10T08:00:00Z"),
        ingestRunId: null
      }])
    )
  },
  // Accounts (issue 11).
  usersInsert: {
    name: "UserRepo.insert",
    call: UserRepo.use((r) => r.insert({ username: "newcomer", email: "new@example.com", role: "viewer", passwordHash: "h" }, ms("2025-03-01T00:00:00Z")))
  },
  usersById: { name: "UserRepo.byId", call: UserRepo.use((r) => r.byId("2500")) },
  usersByUsername: { name: "UserRepo.byLogin (username)", call: UserRepo.use((r) => r.byLogin("User2500")) },
  usersByEmail: { name: "UserRepo.byLogin (email)", call: UserRepo.use((r) => r.byLogin("user2500@example.com")) },
  usersList: { name: "UserRepo.list", call: UserRepo.use((r) => r.list({ limit: 51 })) },
  usersListAfter: {
    name: "UserRepo.list (after a cursor)",
    call: UserRepo.use((r) => r.list({ after: { createdAt: "2024-04-01T00:00:00.000Z", id: "2184" }, limit: 51 }))
  },
  usersCount: { name: "UserRepo.count", call: UserRepo.use((r) => r.count) },
  usersLogins: { name: "UserRepo.logins", call: UserRepo.use((r) => r.logins) },
  usersSetPassword: { name: "UserRepo.setPasswordHash", call: UserRepo.use((r) => r.setPasswordHash("2500", "h2", ms("2025-03-01T00:00:00Z"))) },
  usersSetDisabled: { name: "UserRepo.setDisabled", call: UserRepo.use((r) => r.setDisabled("2500", true, ms("2025-03-01T00:00:00Z"))) },
  usersPendingTotp: { name: "UserRepo.setPendingTotp", call: UserRepo.use((r) => r.setPendingTotp("2500", "SECRET", ms("2025-03-01T00:00:00Z"))) },
  usersEnableTotp: { name: "UserRepo.enableTotp", call: UserRepo.use((r) => r.enableTotp("2500", 100, ["a", "b"], ms("2025-03-01T00:00:00Z"))) },
  usersTotpStep: { name: "UserRepo.useTotpStep", call: UserRepo.use((r) => r.useTotpStep("2500", 100)) },
  usersRecovery: { name: "UserRepo.useRecoveryCode", call: UserRepo.use((r) => r.useRecoveryCode("2500", "a")) },
  usersDisableTotp: { name: "UserRepo.disableTotp", call: UserRepo.use((r) => r.disableTotp("2500", ms("2025-03-01T00:00:00Z"))) },
  usersTouchLogin: { name: "UserRepo.touchLogin", call: UserRepo.use((r) => r.touchLogin("2500", ms("2025-03-01T00:00:00Z"))) },
  clientsInsert: {
    name: "ClientRepo.insert",
    call: ClientRepo.use((r) =>
      r.insert({ clientId: "mgc_new", name: "new", role: "viewer", secretHash: "h", rateLimit: null, createdBy: "test" }, ms("2025-03-01T00:00:00Z"))
    )
  },
  clientsById: { name: "ClientRepo.byId", call: ClientRepo.use((r) => r.byId("mgc_client00000250")) },
  clientsList: { name: "ClientRepo.list", call: ClientRepo.use((r) => r.list) },
  clientsRotate: { name: "ClientRepo.rotate", call: ClientRepo.use((r) => r.rotate("mgc_client00000250", "h2", ms("2025-03-01T00:00:00Z"))) },
  clientsRevoke: { name: "ClientRepo.revoke", call: ClientRepo.use((r) => r.revoke("mgc_client00000250", ms("2025-03-01T00:00:00Z"))) },
  tokensInsert: {
    name: "TokenRepo.insertMany",
    call: TokenRepo.use((r) =>
      r.insertMany([{ hash: "h1", clientId: "mgc_client00000001", role: "viewer", scope: "viewer", issuedAt: ms("2025-03-02T00:00:00Z"), expiresAt: ms("2025-03-02T01:00:00Z"), revoked: false }])
    )
  },
  tokensByHash: { name: "TokenRepo.byHash", call: TokenRepo.use((r) => r.byHash("c4ca4238a0b923820dcc509a6f75849b8f14e45fceea167a5a36dedd4bea2543")) },
  tokensRevoke: {
    name: "TokenRepo.revoke",
    call: TokenRepo.use((r) => r.revoke("c4ca4238a0b923820dcc509a6f75849b8f14e45fceea167a5a36dedd4bea2543", "mgc_client00000002", ms("2025-03-01T00:00:00Z")))
  },
  tokensRevokeClient: { name: "TokenRepo.revokeClient", call: TokenRepo.use((r) => r.revokeClient("mgc_client00000250", ms("2025-03-01T00:00:00Z"))) },
  // The Bloom filter's poll: the tokens issued in the last few seconds (a recent expiry bound).
  tokensLive: { name: "TokenRepo.liveExpiringAfter", call: TokenRepo.use((r) => r.liveExpiringAfter(ms("2025-03-07T01:00:00Z"))) },
  // Every instance's revocation poll: the tokens revoked in the last few seconds.
  tokensRevokedAfter: {
    name: "TokenRepo.revokedAfter",
    call: TokenRepo.use((r) => r.revokedAfter(ms("2025-03-07T00:59:55Z"), ms("2025-03-07T01:00:00Z")))
  },
  tokensPurge: { name: "TokenRepo.purge", call: TokenRepo.use((r) => r.purge(ms("2025-03-03T00:00:00Z"))) },
  sessionsInsert: {
    name: "SessionRepo.insert",
    call: SessionRepo.use((r) =>
      r.insert({ id: "s-new", userId: "2500", expiresAt: ms("2025-03-01T00:30:00Z"), ipAddress: "10.0.0.1", userAgent: "ua" }, ms("2025-03-01T00:00:00Z"))
    )
  },
  sessionsById: { name: "SessionRepo.byId", call: SessionRepo.use((r) => r.byId("8ddf878039b70767c4a5bcf4f0c4f65e83f1535f99ab0bf4e9d02dfd85d3e3f7", ms("2025-03-01T00:00:00Z"))) },
  sessionsTouch: { name: "SessionRepo.touch", call: SessionRepo.use((r) => r.touch("8ddf878039b70767c4a5bcf4f0c4f65e83f1535f99ab0bf4e9d02dfd85d3e3f7", ms("2025-03-01T01:00:00Z"))) },
  sessionsRemove: {
    name: "SessionRepo.remove",
    call: SessionRepo.use((r) => r.remove("8ddf878039b70767c4a5bcf4f0c4f65e83f1535f99ab0bf4e9d02dfd85d3e3f7", ms("2025-03-01T01:00:00Z")))
  },
  sessionsRemoveForUser: { name: "SessionRepo.removeForUser", call: SessionRepo.use((r) => r.removeForUser("2500", ms("2025-03-01T01:00:00Z"))) },
  // Every instance's poll of session ends: those of the last few seconds.
  sessionsEndedAfter: {
    name: "SessionRepo.endedAfter",
    call: SessionRepo.use((r) => r.endedAfter(ms("2025-03-03T00:59:55Z"), ms("2025-03-03T01:00:00Z")))
  },
  sessionsPurge: { name: "SessionRepo.purge", call: SessionRepo.use((r) => r.purge(ms("2025-03-01T06:00:00Z"))) },
  auditInsert: {
    name: "AuditRepo.insertMany",
    call: AuditRepo.use((r) =>
      r.insertMany([{
        createdAt: ms("2025-03-01T00:00:00Z"),
        userId: null,
        clientId: "mgc_client00000001",
        actor: "mgc_client00000001",
        action: "token.issued",
        outcome: "success",
        target: null,
        ipAddress: "10.0.0.1",
        userAgent: null,
        requestId: null,
        traceId: null,
        details: {}
      }])
    )
  },
  auditLatest: { name: "AuditRepo.list()", call: AuditRepo.use((r) => r.list({ limit: 51 })) },
  auditLatestAfter: {
    name: "AuditRepo.list({ before })",
    call: AuditRepo.use((r) => r.list({ before: { createdAt: "2024-08-01T00:00:00.000Z", id: "220320" }, limit: 51 }))
  },
  auditUserAction: { name: "AuditRepo.list({ userId, action })", call: AuditRepo.use((r) => r.list({ userId: "2500", action: "login", limit: 51 })) },
  auditUser: { name: "AuditRepo.list({ userId })", call: AuditRepo.use((r) => r.list({ userId: "2500", limit: 51 })) },
  auditIp: { name: "AuditRepo.list({ ip })", call: AuditRepo.use((r) => r.list({ ip: "10.17.17.1", limit: 51 })) },
  auditClient: { name: "AuditRepo.list({ clientId })", call: AuditRepo.use((r) => r.list({ clientId: "mgc_client00000250", limit: 51 })) },
  auditWindow: {
    name: "AuditRepo.list({ from, to, outcome })",
    call: AuditRepo.use((r) => r.list({ from: "2024-06-01T00:00:00Z", to: "2024-06-02T00:00:00Z", outcome: "failure", limit: 51 }))
  },
  stateGet: { name: "AuthStateRepo.get", call: AuthStateRepo.use((r) => r.get("hmac_key", ms("2025-03-01T00:00:00Z"))) },
  statePut: { name: "AuthStateRepo.putIfAbsent", statement: /INSERT INTO auth_state/, call: AuthStateRepo.use((r) => r.putIfAbsent("setup_token", "h", null, ms("2025-03-01T00:00:00Z"))) },
  stateRemove: { name: "AuthStateRepo.remove", call: AuthStateRepo.use((r) => r.remove("other")) },
  watchlistList: { name: "WatchlistRepo.list", call: WatchlistRepo.use((r) => r.list("1500")) },
  watchlistReplaceDelete: {
    name: "WatchlistRepo.replace (delete)",
    statement: /^\s*DELETE FROM watchlist_items/,
    call: WatchlistRepo.use((r) => r.replace("1500", [dailySymbols[3]!, dailySymbols[1]!], ms("2025-03-01T00:00:00Z")))
  },
  watchlistReplaceUpsert: {
    name: "WatchlistRepo.replace (upsert)",
    statement: /INSERT INTO watchlist_items/,
    call: WatchlistRepo.use((r) => r.replace("1500", [dailySymbols[3]!, dailySymbols[1]!], ms("2025-03-01T00:00:00Z")))
  },
  watchlistAdd: { name: "WatchlistRepo.add", call: WatchlistRepo.use((r) => r.add("1500", symbol, ms("2025-03-01T00:00:00Z"), 100)) },
  watchlistRemove: { name: "WatchlistRepo.remove", call: WatchlistRepo.use((r) => r.remove("1500", dailySymbols[3]!)) }
} satisfies Record<string, Query>
const queries: ReadonlyArray<Query> = Object.values(Q)

/** Repository methods whose statements are not explained here, and why. */
const notExplained: Record<string, string> = {
  "IntradayRepo.partitions": "reads the system catalog (pg_inherits, pg_class), not a marketgate table",
  "IntradayRepo.dropBefore": "DROP TABLE of whole month partitions, as listed by IntradayRepo.partitions"
}

/** How an index serves a query: read by a scan node, or probed as the arbiter of ON CONFLICT. */
interface Use {
  readonly query: Query
  readonly via: "scan" | "arbiter"
}
const scan = (query: Query): Use => ({ query, via: "scan" })
const arbiter = (query: Query): Use => ({ query, via: "arbiter" })

/**
 * Every index of the schema and the queries that use it. An index on a
 * partition of bars_intraday counts as its parent's (they are created with it).
 * Primary keys named as ON CONFLICT arbiters are justified by that upsert;
 * their lookups are checked as well.
 */
const justified: Record<string, ReadonlyArray<Use>> = {
  instruments_pkey: [arbiter(Q.instrumentsUpsert), scan(Q.instrumentsAll), scan(Q.instrumentsMarkDelisted)],
  instruments_market_symbol_idx: [scan(Q.instrumentsListedBy)],
  store_meta_pkey: [arbiter(Q.storeWorldClaim)],
  bars_daily_pkey: [
    arbiter(Q.barsUpsert),
    scan(Q.barsRange),
    scan(Q.barsLastBefore),
    scan(Q.barsLatestAdjFactor),
    scan(Q.barsLineage),
    scan(Q.barsSymbols),
    scan(Q.recordActionsRescale)
  ],
  corporate_actions_pkey: [arbiter(Q.recordActionsInsert), scan(Q.actions)],
  ingest_runs_pkey: [scan(Q.runGet), scan(Q.runUpdate), scan(Q.runFinish)],
  ingest_runs_kind_started_idx: [scan(Q.runListKind), scan(Q.runAbandon)],
  ingest_runs_started_idx: [scan(Q.runList)],
  quality_quarantine_symbol_date_idx: [scan(Q.quarantineForBar)],
  bars_intraday_pkey: [arbiter(Q.intradayUpsert), scan(Q.intradayRange), scan(Q.intradayRangeTwoMonths)],
  users_pkey: [
    scan(Q.usersById),
    scan(Q.usersSetPassword),
    scan(Q.usersSetDisabled),
    scan(Q.usersPendingTotp),
    scan(Q.usersEnableTotp),
    scan(Q.usersTotpStep),
    scan(Q.usersRecovery),
    scan(Q.usersDisableTotp),
    scan(Q.usersTouchLogin)
  ],
  // Both unique: UserRepo.insert (ON CONFLICT DO NOTHING, no target, so EXPLAIN names no arbiter) refuses a taken username or email.
  users_username_idx: [scan(Q.usersByUsername)],
  users_email_idx: [scan(Q.usersByEmail)],
  users_created_at_idx: [scan(Q.usersList), scan(Q.usersListAfter)],
  api_clients_pkey: [scan(Q.clientsById), scan(Q.clientsRotate), scan(Q.clientsRevoke), scan(Q.tokensByHash)],
  oauth_tokens_pkey: [scan(Q.tokensByHash), scan(Q.tokensRevoke)],
  oauth_tokens_live_expires_idx: [scan(Q.tokensLive)],
  oauth_tokens_client_live_idx: [scan(Q.tokensRevokeClient)],
  oauth_tokens_revoked_at_idx: [scan(Q.tokensRevokedAfter)],
  sessions_pkey: [scan(Q.sessionsById), scan(Q.sessionsTouch), scan(Q.sessionsRemove)],
  sessions_user_idx: [scan(Q.sessionsRemoveForUser)],
  sessions_expires_idx: [scan(Q.sessionsPurge)],
  sessions_ended_at_idx: [scan(Q.sessionsEndedAfter)],
  audit_logs_user_action_created_idx: [scan(Q.auditUserAction), scan(Q.auditUser)],
  audit_logs_ip_created_idx: [scan(Q.auditIp)],
  audit_logs_client_created_idx: [scan(Q.auditClient)],
  audit_logs_created_idx: [scan(Q.auditLatest), scan(Q.auditLatestAfter), scan(Q.auditWindow)],
  auth_state_pkey: [arbiter(Q.statePut)],
  watchlist_items_pkey: [
    scan(Q.watchlistList),
    scan(Q.watchlistReplaceDelete),
    arbiter(Q.watchlistReplaceUpsert),
    scan(Q.watchlistAdd),
    arbiter(Q.watchlistAdd),
    scan(Q.watchlistRemove)
  ]
}

/** Not ours: effect/sql's Migrator creates schema_migrations with a primary key on migration_id. */
const framework: Record<string, string> = {
  schema_migrations_pkey: "effect/sql Migrator: one row per applied migration"
}

/**
 * Indexes no repository query uses today, reported to the schema owner (issue
 * 5 item 9) for a migration that drops them or a query that needs them. Kept
 * explicit so the check below stays exact: an entry must go when its index is
 * dropped, and must move to `justified` once a query uses it.
 */
const unjustified: Record<string, string> = {
  quality_quarantine_pkey: "no query reads quality_quarantine by id: QuarantineRepo.forBar reads by (symbol, date) and sorts the few rows by id",
  audit_logs_pkey: "row identity of the audit log; every read is newest first through the (created_at …) indexes, the id only breaks ties"
}

/**
 * Queries that read a table without an index, on purpose. Any other sequential
 * scan of a marketgate table fails the last test: it needs an index.
 */
const sequential: Record<string, string> = {
  [Q.barsDeleteBefore.name]:
    "retention deletes the oldest sessions of every symbol, a large share of the table, nightly and only with DAILY_RETENTION set",
  [Q.intradayTracked.name]:
    "the ts bound prunes bars_intraday to the partitions of the last 7 days; the refresh reads those once per 5-minute run",
  [Q.usersCount.name]: "counts every user, once at start-up (is there a first admin?)",
  [Q.usersLogins.name]: "every username and email, for the Bloom filter of known logins, every 30 s and after a user change",
  [Q.clientsList.name]: "every API client (hundreds), for GET /v1/admin/clients",
  [Q.tokensPurge.name]: "deletes expired tokens, revoked or not: a large share of the table, rarely",
  [Q.stateGet.name]: "auth_state holds two or three rows",
  [Q.stateRemove.name]: "auth_state holds two or three rows"
}

/**
 * Queries that need an index the schema lacks, reported to the schema owner
 * (issue 5 item 9). Same rule as `unjustified`: the entry goes once an index
 * serves the query (and that index joins `justified`).
 */
const missingIndex: Record<string, string> = {
  [Q.runAbandonFrequent.name]:
    "for a frequent kind the planner reads all of ingest_runs to find the few 'running' rows, at the start of every run; " +
    "a partial index ON ingest_runs (kind) WHERE status = 'running' would serve every kind"
}

// ---------------------------------------------------------------------------
// Recording what a repository sends, and explaining it.

interface Sent {
  readonly sql: string
  readonly params: ReadonlyArray<unknown>
}

interface PlanNode {
  readonly "Node Type": string
  readonly "Index Name"?: string
  readonly "Relation Name"?: string
  readonly "Scan Direction"?: string
  readonly "Conflict Arbiter Indexes"?: ReadonlyArray<string>
  readonly Plans?: ReadonlyArray<PlanNode>
}

class Rollback {
  readonly _tag = "Rollback"
}

/**
 * The statements `call` sends, as compiled for the wire. The call runs for
 * real (a write needs what its reads returned), in a transaction rolled back
 * afterwards, so the data every plan sees stays the same.
 */
const sentBy = (call: Query["call"]) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const sent: Array<Sent> = []
    const record: Statement.Transformer = (statement) =>
      Effect.sync(() => {
        const [text, params] = statement.compile()
        sent.push({ sql: text, params })
        return statement
      })
    const exit = yield* sql.withTransaction(Effect.andThen(call, Effect.fail(new Rollback()))).pipe(
      Effect.provideService(Statement.CurrentTransformer, record),
      Effect.exit
    )
    assert.isTrue(
      exit._tag === "Failure" && exit.cause.reasons.some((r) => r._tag === "Fail" && r.error instanceof Rollback),
      `the repository call itself failed: ${String(exit)}`
    )
    return sent
  })

const explain = (statement: Sent) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql.unsafe<{ "QUERY PLAN": ReadonlyArray<{ Plan: PlanNode }> }>(
      `EXPLAIN (FORMAT JSON) ${statement.sql}`,
      statement.params
    )
    return rows[0]!["QUERY PLAN"][0]!.Plan
  })

const nodesOf = (plan: PlanNode): Array<PlanNode> => [plan, ...(plan.Plans ?? []).flatMap(nodesOf)]

const indexScanTypes = new Set(["Index Scan", "Index Only Scan", "Bitmap Index Scan"])

/** Each node on one line, indented by depth: what a failure message shows. */
const render = (plan: PlanNode, depth = 0): string =>
  [
    `${"  ".repeat(depth)}${plan["Node Type"]}${plan["Scan Direction"] === "Backward" ? " Backward" : ""}${
      plan["Index Name"] ? ` using ${plan["Index Name"]}` : ""
    }${plan["Relation Name"] ? ` on ${plan["Relation Name"]}` : ""}${
      plan["Conflict Arbiter Indexes"] ? ` (arbiter: ${plan["Conflict Arbiter Indexes"].join(", ")})` : ""
    }`,
    ...(plan.Plans ?? []).map((p) => render(p, depth + 1))
  ].join("\n")

/** The plan of the query's statement, explained once per test file run. */
const planCache = new Map<string, PlanNode>()
const planOf = (query: Query) =>
  Effect.gen(function*() {
    const cached = planCache.get(query.name)
    if (cached !== undefined) return cached
    const sent = (yield* sentBy(query.call)).filter((s) => !/^\s*CREATE TABLE/.test(s.sql))
    const meant = query.statement === undefined ? sent : sent.filter((s) => query.statement!.test(s.sql))
    assert.strictEqual(
      meant.length,
      1,
      `${query.name} should send exactly one statement matching ${query.statement ?? "anything"}; sent:\n${
        sent.map((s) => s.sql).join("\n---\n")
      }`
    )
    const plan = yield* explain(meant[0]!)
    planCache.set(query.name, plan)
    return plan
  })

/** Every index of the public schema (from pg_indexes), with the index it belongs to (itself, or a partition's parent index). */
const schemaIndexes = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  return yield* sql<{ index: string; table: string; root: string }>`
    SELECT indexname AS index, tablename AS table,
           COALESCE(pg_partition_root(format('%I.%I', schemaname, indexname)::regclass)::text, indexname) AS root
    FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`
})

/** The names a plan node may show for `index`: itself and its partitions' indexes. */
const namesOf = (index: string) =>
  Effect.map(schemaIndexes, (rows) => new Set(rows.filter((r) => r.root === index).map((r) => r.index)))

const usesIndex = (plan: PlanNode, names: ReadonlySet<string>, via: Use["via"]) =>
  nodesOf(plan).some((n) =>
    via === "scan"
      ? indexScanTypes.has(n["Node Type"]) && n["Index Name"] !== undefined && names.has(n["Index Name"])
      : (n["Conflict Arbiter Indexes"] ?? []).some((i) => names.has(i))
  )

const scannedRelations = (plan: PlanNode) =>
  nodesOf(plan).flatMap((n) => (n["Relation Name"] === undefined ? [] : [n["Relation Name"]]))

const Repos = Layer.mergeAll(
  DailyBarRepo.layer,
  InstrumentRepo.layer,
  QuarantineRepo.layer,
  IngestRunRepo.layer,
  IntradayRepo.layer,
  UserRepo.layer,
  ClientRepo.layer,
  TokenRepo.layer,
  SessionRepo.layer,
  AuditRepo.layer,
  AuthStateRepo.layer,
  WatchlistRepo.layer
)

layer(Layer.effectDiscard(fill).pipe(Layer.provideMerge(Repos), Layer.provideMerge(freshPostgres())), {
  timeout: "120 seconds"
})("indexes, each with the queries that use it (EXPLAIN on realistic data)", (it) => {
  for (const [index, uses] of Object.entries(justified)) {
    it.effect(`${index}: ${uses.map((u) => `${u.query.name}${u.via === "arbiter" ? " (ON CONFLICT)" : ""}`).join(", ")}`, () =>
      Effect.gen(function*() {
        const names = yield* namesOf(index)
        assert.isTrue(names.has(index), `${index} is not in the schema`)
        for (const use of uses) {
          const plan = yield* planOf(use.query)
          assert.isTrue(
            usesIndex(plan, names, use.via),
            `${use.query.name} should ${use.via === "scan" ? "read through" : "use as its ON CONFLICT arbiter"} ${index}; its plan:\n${
              render(plan)
            }`
          )
        }
      }))
  }

  it.effect("bars_intraday: each month partition has its own copy of the primary key, and a range reads only its months", () =>
    Effect.gen(function*() {
      const partitionIndexes = (yield* schemaIndexes).filter((r) => r.root === "bars_intraday_pkey" && r.index !== r.root)
      assert.deepStrictEqual(partitionIndexes.map((r) => [r.table, r.index]), [
        ["bars_intraday_y2025m01", "bars_intraday_y2025m01_pkey"],
        ["bars_intraday_y2025m02", "bars_intraday_y2025m02_pkey"],
        ["bars_intraday_y2025m03", "bars_intraday_y2025m03_pkey"]
      ])
      const oneMonth = yield* planOf(Q.intradayRange)
      assert.deepStrictEqual(scannedRelations(oneMonth), ["bars_intraday_y2025m03"], render(oneMonth))
      assert.isTrue(usesIndex(oneMonth, new Set(["bars_intraday_y2025m03_pkey"]), "scan"), render(oneMonth))
      const twoMonths = yield* planOf(Q.intradayRangeTwoMonths)
      assert.deepStrictEqual(scannedRelations(twoMonths), ["bars_intraday_y2025m02", "bars_intraday_y2025m03"], render(twoMonths))
      // The refresh's lookup has no index to use, but reads only the partitions its bound leaves.
      const tracked = yield* planOf(Q.intradayTracked)
      assert.deepStrictEqual(scannedRelations(tracked), ["bars_intraday_y2025m03"], render(tracked))
    }))

  it.effect("every repository method is explained here", () =>
    Effect.gen(function*() {
      const services: Record<string, object> = {
        DailyBarRepo: yield* DailyBarRepo,
        InstrumentRepo: yield* InstrumentRepo,
        QuarantineRepo: yield* QuarantineRepo,
        IngestRunRepo: yield* IngestRunRepo,
        IntradayRepo: yield* IntradayRepo,
        UserRepo: yield* UserRepo,
        ClientRepo: yield* ClientRepo,
        TokenRepo: yield* TokenRepo,
        SessionRepo: yield* SessionRepo,
        AuditRepo: yield* AuditRepo,
        AuthStateRepo: yield* AuthStateRepo,
        WatchlistRepo: yield* WatchlistRepo
      }
      const methods = Object.entries(services).flatMap(([repo, service]) => Object.keys(service).map((m) => `${repo}.${m}`))
      const explained = new Set(queries.map((q) => /^\w+\.\w+/.exec(q.name)![0]))
      const missing = methods.filter((m) => !explained.has(m) && !(m in notExplained))
      assert.deepStrictEqual(missing, [], `add ${missing.join(", ")} to the queries (Q) of Indexes.integration.test.ts`)
    }))

  it.effect("the schema has no index without a query that uses it", () =>
    Effect.gen(function*() {
      const inSchema = new Set((yield* schemaIndexes).map((r) => r.root))
      const accounted = new Set([...Object.keys(justified), ...Object.keys(framework), ...Object.keys(unjustified)])
      const withoutQuery = [...inSchema].filter((i) => !accounted.has(i))
      assert.deepStrictEqual(
        withoutQuery,
        [],
        `no query uses ${withoutQuery.join(", ")}: add the repository query that needs it to \`justified\` in ` +
          `packages/server/test/Store/Indexes.integration.test.ts (and to docs/database.md), or drop the index in a migration`
      )
      const gone = [...accounted].filter((i) => !inSchema.has(i))
      assert.deepStrictEqual(gone, [], `${gone.join(", ")} no longer in the schema: remove from Indexes.integration.test.ts and docs/database.md`)
    }))

  it.effect("no repository query uses the indexes listed as unjustified", () =>
    Effect.gen(function*() {
      for (const index of Object.keys(unjustified)) {
        const names = yield* namesOf(index)
        for (const query of queries) {
          const plan = yield* planOf(query)
          assert.isFalse(
            usesIndex(plan, names, "scan") || usesIndex(plan, names, "arbiter"),
            `${query.name} uses ${index}: move it from \`unjustified\` to \`justified\`; plan:\n${render(plan)}`
          )
        }
      }
    }))

  it.effect("no repository query scans a table sequentially unless stated why (or reported as missing an index)", () =>
    Effect.gen(function*() {
      const tables = new Set((yield* schemaIndexes).map((r) => r.table))
      for (const query of queries) {
        const plan = yield* planOf(query)
        const seq = nodesOf(plan).filter((n) => n["Node Type"] === "Seq Scan" && tables.has(n["Relation Name"] ?? ""))
        if (query.name in sequential || query.name in missingIndex) {
          assert.isAbove(seq.length, 0, `${query.name} no longer scans sequentially: remove it from \`sequential\`\n${render(plan)}`)
        } else {
          assert.deepStrictEqual(
            seq.map((n) => n["Relation Name"]),
            [],
            `${query.name} reads a table without an index: it needs one (or a reason in \`sequential\`)\n${render(plan)}`
          )
        }
      }
    }))
})
