import { get } from "./api.ts"
import type { Principal } from "./types.ts"

const ANONYMOUS: Principal = { kind: "anonymous", id: null, name: "anonymous", role: "viewer" }

let current: Promise<Principal> | undefined

/**
 * Who the page is reading as, asked once per page load: GET /v1/auth/me answers
 * anonymous callers too. If it cannot be asked, the page behaves as anonymous.
 */
export const whoAmI = (): Promise<Principal> => (current ??= get<Principal>("/v1/auth/me").catch(() => ANONYMOUS))

/** Lineage (and the other analyst reads) need the analyst role or more (docs/security.md). */
export const isAnalyst = (p: Principal) => p.role === "analyst" || p.role === "admin"
