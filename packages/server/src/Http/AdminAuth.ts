import { AdminAuth } from "@marketgate/domain/Api"
import { Unauthorized } from "@marketgate/domain/ApiErrors"
import { Config, Effect, Layer, Option, Redacted } from "effect"
import { sameSecret } from "../Auth/Digests.ts"

/**
 * Admin endpoints need `Authorization: Bearer <ADMIN_TOKEN>` when
 * `ADMIN_TOKEN` is set; without it (a laptop, a test) they are open, and the
 * start-up log says so.
 */
export const layerConfig = Layer.effect(
  AdminAuth,
  Effect.gen(function*() {
    const token = yield* Config.option(Config.Redacted("ADMIN_TOKEN"))
    if (Option.isNone(token)) yield* Effect.logWarning("ADMIN_TOKEN is not set: admin endpoints are open")
    return AdminAuth.of({
      bearer: (httpEffect, { credential }) =>
        Option.isNone(token) || sameSecret(Redacted.value(credential), Redacted.value(token.value))
          ? httpEffect
          : Effect.fail(new Unauthorized({ message: "admin endpoints need Authorization: Bearer <ADMIN_TOKEN>" }))
    })
  })
)
