import { get } from "./api.ts"
import type { Principal } from "./types.ts"

export const ANONYMOUS: Principal = { kind: "anonymous", id: null, name: "anonymous", role: "viewer" }

let current: Promise<Principal> | undefined

/**
 * Who the page is reading as, asked once per page load: GET /v1/auth/me answers
 * anonymous callers too. If it cannot be asked, the page behaves as anonymous.
 * (A session that ended answers 401, which sends the reader to the login page.)
 */
export const whoAmI = (): Promise<Principal> => (current ??= get<Principal>("/v1/auth/me").catch(() => ANONYMOUS))

/** After a login (its answer names the person) or a logout: no need to ask again. */
export const setPrincipal = (p: Principal) => {
  current = Promise.resolve(p)
}

/** Lineage (and the other analyst reads) need the analyst role or more (docs/security.md). */
export const isAnalyst = (p: Principal) => p.role === "analyst" || p.role === "admin"

/** The operator pages (/v1/sources in detail, /v1/admin/jobs, backfills). */
export const isAdmin = (p: Principal) => p.kind !== "anonymous" && p.role === "admin"

/** A person signed in with a session: watchlists are theirs. */
export const isPerson = (p: Principal) => p.kind === "user"
