import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { issueToken } from "../support/AuthTest.ts"
import { head, rawRequest, serverPort } from "../support/RawHttp.ts"
import { getJson, testApp } from "../support/TestApp.ts"
import { freshPglite } from "../support/TestDatabase.ts"

// Found by an independent probe of the old ADMIN_TOKEN guard: an Authorization
// header whose credential had the token's character length but non-ASCII bytes
// made it throw (timingSafeEqual on buffers of different byte length) and
// answer 500, so the token's length leaked. This test answered 500 against that
// guard (commit 7502b4b); every wrong credential must be the same 401, and
// nothing here may throw on input.
describe("bearer tokens compared by digest", () => {
  layer(testApp(freshPglite(), { as: "anonymous" }), { timeout: "60 seconds", excludeTestServices: true })("a real admin token", (it) => {
    it.effect("same char length but non-ASCII, one char off, longer, shorter: 401 with a sentence, never 500", () =>
      Effect.gen(function*() {
        const { token } = yield* issueToken("admin")
        const good = yield* getJson("/v1/admin/jobs", { authorization: `Bearer ${token}` })
        assert.strictEqual(good.status, 200)
        const wrong = [
          "é".repeat(token.length),
          "\u{1F600}".repeat(token.length / 2),
          `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`,
          `${token}x`,
          token.slice(0, 10),
          "x"
        ]
        // Written as raw UTF-8 bytes: fetch would refuse characters above U+00FF in a header.
        const port = yield* serverPort
        for (const credential of wrong) {
          const answer = yield* rawRequest(port, head("GET", "/v1/admin/jobs", { authorization: `Bearer ${credential}` }))
          assert.strictEqual(answer.status, 401, `${JSON.stringify(credential)}: ${answer.body}`)
          assert.match(JSON.parse(answer.body).msg, /^the access token is not valid: get a new one from POST \/oauth\/token/)
        }
      }))
  })
})
