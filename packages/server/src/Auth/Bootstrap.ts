import { Config, Effect, Layer, Option } from "effect"
import { Accounts } from "./Accounts.ts"
import { Audit, noOrigin } from "./Audit.ts"
import { AuthSettings } from "./AuthSettings.ts"

const SETUP_VALID_MS = 60 * 60 * 1000

/**
 * The first admin (docs/security.md#the-first-admin). While no user exists:
 * with ADMIN_PASSWORD set, the admin ADMIN_USERNAME is created with it;
 * otherwise a one-time setup token is printed, once per hour at most across
 * instances, for POST /v1/auth/setup. It is the one secret ever logged: it
 * creates one admin, once, while no user exists, and is stored only as a hash.
 * ADMIN_TOKEN is no longer read; a start-up warning says what replaced it.
 */
export const layerStartup = Layer.effectDiscard(
  Effect.gen(function*() {
    const settings = yield* AuthSettings
    const accounts = yield* Accounts
    const audit = yield* Audit
    const legacy = yield* Config.option(Config.Redacted("ADMIN_TOKEN"))
    if (Option.isSome(legacy)) {
      yield* Effect.logWarning(
        "ADMIN_TOKEN is no longer read: admin endpoints need an admin user (ADMIN_PASSWORD creates the first) or an admin API client " +
          "(npm run cli -- clients add --role admin); see docs/configuration.md"
      )
    }
    if ((yield* accounts.count) > 0) return
    if (Option.isSome(settings.adminPassword)) {
      const added = yield* accounts.add({ username: settings.adminUsername, role: "admin", password: settings.adminPassword.value })
      if (added._tag === "Added") {
        yield* audit.record({ action: "user.created", outcome: "success", actor: "system", userId: added.user.id, target: added.user.id, details: { role: "admin", via: "ADMIN_PASSWORD" } }, noOrigin)
        yield* Effect.logInfo("created the first admin from ADMIN_PASSWORD").pipe(Effect.annotateLogs({ username: added.user.username }))
      }
      return
    }
    const token = yield* accounts.newSetupToken(SETUP_VALID_MS)
    if (token === undefined) return
    yield* Effect.logWarning(
      "no user exists yet: create the first admin within an hour with POST /v1/auth/setup {setup_token, username, password}, " +
        "or run npm run cli -- users add --role admin; the setup token works once"
    ).pipe(Effect.annotateLogs({ setup_token: token }))
  }).pipe(
    Effect.catch((error) => Effect.logError("could not check for a first admin").pipe(Effect.annotateLogs({ error: error.message })))
  )
)
