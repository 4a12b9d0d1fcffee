import { Effect } from "effect"
import { Migrator } from "effect/sql"
import m0001 from "./migrations/0001_instruments.ts"
import m0002 from "./migrations/0002_bars_daily.ts"
import m0003 from "./migrations/0003_corporate_actions.ts"
import m0004 from "./migrations/0004_ingest_runs.ts"
import m0005 from "./migrations/0005_quality.ts"
import m0006 from "./migrations/0006_bars_intraday.ts"
import m0007 from "./migrations/0007_real_listings.ts"
import m0010 from "./migrations/0010_users.ts"
import m0011 from "./migrations/0011_api_clients.ts"
import m0012 from "./migrations/0012_oauth_tokens.ts"
import m0013 from "./migrations/0013_sessions.ts"
import m0014 from "./migrations/0014_audit_logs.ts"
import m0015 from "./migrations/0015_auth_state.ts"
import m0016 from "./migrations/0016_oauth_tokens_revoked.ts"
import m0017 from "./migrations/0017_sessions_ended.ts"
import m0020 from "./migrations/0020_watchlists.ts"

// Forward-only, applied in id order at start-up; the table lock taken by the
// migrator lets several instances start at once.
export const runMigrations = Migrator.make({})({
  loader: Migrator.fromRecord({
    "0001_instruments": m0001,
    "0002_bars_daily": m0002,
    "0003_corporate_actions": m0003,
    "0004_ingest_runs": m0004,
    "0005_quality": m0005,
    "0006_bars_intraday": m0006,
    "0007_real_listings": m0007,
    "0010_users": m0010,
    "0011_api_clients": m0011,
    "0012_oauth_tokens": m0012,
    "0013_sessions": m0013,
    "0014_audit_logs": m0014,
    "0015_auth_state": m0015,
    "0016_oauth_tokens_revoked": m0016,
    "0017_sessions_ended": m0017,
    "0020_watchlists": m0020
  }),
  table: "schema_migrations"
}).pipe(Effect.withSpan("Store.migrate"))
