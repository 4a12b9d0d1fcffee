import { assert, describe, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { getJson, testApp } from "../support/TestApp.ts"
import { freshPglite } from "../support/TestDatabase.ts"

// Found by an independent probe: an Authorization header whose credential has
// the admin token's character length but non-ASCII bytes made the guard throw
// (timingSafeEqual on buffers of different byte length) and answer 500, so the
// token's length leaked. Every wrong credential must be the same 401.
const TOKEN = "s3cret-admin-token-0123456789"

describe("admin guard on a non-ASCII credential", () => {
  layer(
    testApp(freshPglite()).pipe(Layer.provide(ConfigProvider.layerAdd(ConfigProvider.fromUnknown({ ADMIN_TOKEN: TOKEN })))),
    { timeout: "60 seconds", excludeTestServices: true }
  )("ADMIN_TOKEN set", (it) => {
    it.effect("same char length, non-ASCII: 401 like any other wrong credential, never 500", () =>
      Effect.gen(function*() {
        const sameLength = "é".repeat(TOKEN.length)
        for (const credential of [sameLength, "x", "x".repeat(TOKEN.length), `${TOKEN}x`]) {
          const answer = yield* getJson("/v1/admin/jobs", { authorization: `Bearer ${credential}` })
          assert.strictEqual(answer.status, 401, `${JSON.stringify(credential)}: ${JSON.stringify(answer.body)}`)
        }
      }))
  })
})
