import { assert, describe, it } from "@effect/vitest"
import { MarketgateApi } from "@marketgate/domain/Api"
import { Authentication, RequiredRole } from "@marketgate/domain/AuthApi"
import { Context } from "effect"
import type { HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const SECURITY_DOC = fileURLToPath(new URL("../../../../docs/security.md", import.meta.url))

/** The endpoints docs/security.md lists as public: every `METHOD /path` of its "Public endpoints" section. */
const documentedPublic = (): Set<string> => {
  const doc = readFileSync(SECURITY_DOC, "utf8")
  const section = doc.slice(doc.indexOf("### Public endpoints"), doc.indexOf("## People: sessions"))
  return new Set([...section.matchAll(/`(GET|POST) (\/[^`\s]*)`/g)].map((m) => `${m[1]} ${m[2]}`))
}

const endpoints = (): Array<{ readonly group: HttpApiGroup.Top; readonly endpoint: HttpApiEndpoint.Top }> =>
  Object.values(MarketgateApi.groups as unknown as Record<string, HttpApiGroup.Top>).flatMap((group) =>
    Object.values(group.endpoints as Record<string, HttpApiEndpoint.Top>).map((endpoint) => ({ group, endpoint }))
  )

// A new endpoint (another engineer's group, say) is either behind the
// Authentication middleware or a public endpoint written down in
// docs/security.md; never open by omission.
describe("every endpoint is guarded or documented as public", () => {
  it("endpoints without the Authentication middleware are exactly the documented public ones", () => {
    const open = endpoints().filter(({ endpoint }) => !endpoint.middlewares.has(Authentication as never)).map(({ endpoint }) => `${endpoint.method} ${endpoint.path}`)
    const documented = documentedPublic()
    assert.sameMembers(open.filter((e) => !documented.has(e)), [], `open but not in docs/security.md#public-endpoints: ${open.filter((e) => !documented.has(e)).join(", ")}`)
    // Every documented public endpoint exists (GET /docs, /openapi.json and /metrics are served outside the API definition).
    const served = new Set([...open, "GET /docs", "GET /openapi.json", "GET /metrics"])
    assert.sameMembers([...documented].filter((e) => !served.has(e)), [])
  })

  it("guarded endpoints say which role they need; operator endpoints need admin", () => {
    const roleOf = (group: HttpApiGroup.Top, endpoint: HttpApiEndpoint.Top) =>
      Context.getOrUndefined(endpoint.annotations, RequiredRole) ?? Context.getOrUndefined(group.annotations, RequiredRole) ?? "admin (by default)"
    for (const { endpoint, group } of endpoints()) {
      if (!endpoint.middlewares.has(Authentication as never)) continue
      const role = roleOf(group, endpoint)
      if (endpoint.path.startsWith("/v1/admin") || endpoint.path === "/oauth/introspect") assert.strictEqual(role, "admin", endpoint.path)
      else assert.oneOf(role, ["viewer", "analyst", "admin"], `${endpoint.method} ${endpoint.path}`)
    }
    const batch = endpoints().find(({ endpoint }) => endpoint.path === "/v1/bars/batch")!
    assert.strictEqual(roleOf(batch.group, batch.endpoint), "analyst")
  })
})
