import { Context, Effect, Layer } from "effect"
import * as Prom from "prom-client"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"
import { type Tally, talliedCounter } from "../Observability/TalliedCounter.ts"

export type LoginOutcome = "success" | "mfa_required" | "failure" | "throttled" | "disabled"
export type MfaOutcome = "success" | "failure" | "replay" | "recovery_code"
/** What was looked up: a bearer token, a session, a user record. */
export type AuthCacheKind = "token" | "session" | "user"
/** Where a lookup was answered: this process, Redis, or PostgreSQL (a miss of both caches). */
export type AuthCacheLevel = "local" | "redis"
export type RateScope = "anonymous" | "user" | "client" | "login_ip" | "login_username" | "token_endpoint"

const cacheKinds: ReadonlyArray<AuthCacheKind> = ["token", "session", "user"]
const levels: ReadonlyArray<AuthCacheLevel> = ["local", "redis"]
/** Why the Authentication middleware or the token endpoint refused: the reasons it counts. */
const rejectionReasons = [
  "scheme", "token_malformed", "token_unknown", "token_expired", "token_revoked", "session_ended", "user_disabled",
  "csrf", "no_credentials", "anonymous", "role", "client_credentials"
]

/**
 * Counters of issue 11 (docs/security.md#metrics). The per-request ones
 * (cache hits, rate limits) are tallied in plain numbers and folded in at
 * scrape, as the market cache's are.
 */
export class AuthMetrics extends Context.Service<AuthMetrics, {
  readonly tokenIssued: () => void
  readonly login: (outcome: LoginOutcome) => void
  readonly mfa: (outcome: MfaOutcome) => void
  readonly cacheHit: (kind: AuthCacheKind, level: AuthCacheLevel) => void
  /** Neither cache had it: PostgreSQL was asked. */
  readonly cacheMiss: (kind: AuthCacheKind) => void
  /** A credential the Bloom filter knew to be absent: refused without a database query. */
  readonly bloomRejected: (kind: AuthCacheKind) => void
  readonly rateLimited: (scope: RateScope) => void
  /** A credential refused (bad, expired, revoked, wrong role, CSRF), by reason. */
  readonly rejected: (reason: string) => void
}>()("@marketgate/server/Auth/AuthMetrics") {
  static readonly layer = Layer.effect(
    AuthMetrics,
    Effect.gen(function*() {
      const { registry } = yield* MetricsRegistry
      const tokens = new Prom.Counter({ name: "tokens_issued_total", help: "OAuth access tokens issued (client credentials)", registers: [registry] })
      const logins = new Prom.Counter({
        name: "login_attempts_total",
        help: "Password logins by outcome: success, mfa_required, failure, throttled, disabled",
        labelNames: ["outcome"],
        registers: [registry]
      })
      const mfa = new Prom.Counter({
        name: "mfa_verifications_total",
        help: "TOTP and recovery-code checks by outcome: success, failure, replay, recovery_code",
        labelNames: ["outcome"],
        registers: [registry]
      })
      const hits = talliedCounter({
        name: "auth_cache_hits_total",
        help: "Token, session and user lookups answered by a cache (local: this process; redis)",
        labelNames: ["cache", "level"],
        registers: [registry]
      })
      const misses = talliedCounter({
        name: "auth_cache_misses_total",
        help: "Token, session and user lookups neither cache could answer (PostgreSQL was asked)",
        labelNames: ["cache"],
        registers: [registry]
      })
      const bloom = new Prom.Counter({
        name: "auth_bloom_rejections_total",
        help: "Credentials refused by the Bloom filter without a database query",
        labelNames: ["cache"],
        registers: [registry]
      })
      const limited = new Prom.Counter({
        name: "rate_limited_total",
        help: "Requests refused with 429 by scope: anonymous (per IP), user, client, login_ip, login_username, token_endpoint",
        labelNames: ["scope"],
        registers: [registry]
      })
      const rejected = new Prom.Counter({
        name: "auth_rejections_total",
        help: "Requests refused 401/403 by reason",
        labelNames: ["reason"],
        registers: [registry]
      })
      for (const outcome of ["success", "mfa_required", "failure", "throttled", "disabled"]) logins.inc({ outcome }, 0)
      for (const outcome of ["success", "failure", "replay", "recovery_code"]) mfa.inc({ outcome }, 0)
      tokens.inc(0)
      // Every series exists from the start, at 0, so rate() and the dashboard have data before the first event.
      for (const scope of ["anonymous", "user", "client", "login_ip", "login_username", "token_endpoint"]) limited.inc({ scope }, 0)
      for (const kind of cacheKinds) bloom.inc({ cache: kind }, 0)
      for (const reason of rejectionReasons) rejected.inc({ reason }, 0)
      const hitTallies = new Map<string, Tally>()
      for (const kind of cacheKinds) for (const level of levels) hitTallies.set(`${kind}:${level}`, hits.tally({ cache: kind, level }))
      const missTallies = new Map<string, Tally>(cacheKinds.map((kind) => [kind, misses.tally({ cache: kind })]))
      return AuthMetrics.of({
        tokenIssued: () => tokens.inc(),
        login: (outcome) => logins.inc({ outcome }),
        mfa: (outcome) => mfa.inc({ outcome }),
        cacheHit: (kind, level) => hitTallies.get(`${kind}:${level}`)!.inc(),
        cacheMiss: (kind) => missTallies.get(kind)!.inc(),
        bloomRejected: (kind) => bloom.inc({ cache: kind }),
        rateLimited: (scope) => limited.inc({ scope }),
        rejected: (reason) => rejected.inc({ reason })
      })
    })
  )
}
