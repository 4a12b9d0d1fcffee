import { Layer } from "effect"
import { Accounts } from "./Accounts.ts"
import { Audit } from "./Audit.ts"
import { AuditRepo } from "./AuditRepo.ts"
import { AuthEvents } from "./AuthEvents.ts"
import { AuthKeys } from "./AuthKeys.ts"
import { AuthMetrics } from "./AuthMetrics.ts"
import { AuthPurge } from "./AuthPurge.ts"
import { AuthRedis } from "./AuthRedis.ts"
import * as AuthSettings from "./AuthSettings.ts"
import { AuthStateRepo } from "./AuthStateRepo.ts"
import { ClientRepo } from "./ClientRepo.ts"
import { Clients } from "./Clients.ts"
import { DeviceCookies } from "./DeviceCookies.ts"
import { HttpHygiene } from "./HttpHygiene.ts"
import { Login } from "./Login.ts"
import { MetricsAccess } from "./MetricsAccess.ts"
import { Mfa } from "./Mfa.ts"
import { Passwords } from "./Passwords.ts"
import { RateLimits } from "./RateLimits.ts"
import { SessionRepo } from "./SessionRepo.ts"
import { Sessions } from "./Sessions.ts"
import { TokenCache } from "./TokenCache.ts"
import { TokenRepo } from "./TokenRepo.ts"
import { Tokens } from "./Tokens.ts"
import { UserRepo } from "./UserRepo.ts"
import { Users } from "./Users.ts"

/** The parts a deployment (or a test) chooses: the settings, and Redis or none. */
export interface AuthParts<E> {
  readonly settings: Layer.Layer<AuthSettings.AuthSettings, E>
  readonly redis: Layer.Layer<AuthRedis, E>
}

/**
 * Every service of the auth feature, over the store (SqlClient) and the
 * metrics registry. The HTTP routes and the CLI's users/clients commands use
 * the same graph.
 */
export const layer = <E>(parts: AuthParts<E>) => {
  const stores = Layer.mergeAll(UserRepo.layer, ClientRepo.layer, TokenRepo.layer, SessionRepo.layer, AuditRepo.layer, AuthStateRepo.layer)
  const base = Layer.mergeAll(AuthMetrics.layer, Passwords.layer, AuthEvents.layer, RateLimits.layer, AuthKeys.layer, AuthPurge.layer).pipe(
    Layer.provideMerge(stores),
    Layer.provideMerge(Layer.merge(parts.settings, parts.redis))
  )
  const caches = Layer.mergeAll(TokenCache.layer, Users.layer, Sessions.layer, DeviceCookies.layer, Audit.layer, HttpHygiene.layer, MetricsAccess.layer).pipe(
    Layer.provideMerge(base)
  )
  const core = Layer.mergeAll(Tokens.layer, Mfa.layer).pipe(Layer.provideMerge(caches))
  return Layer.mergeAll(Clients.layer, Login.layer, Accounts.layer).pipe(Layer.provideMerge(core))
}

/** As the environment says (docs/configuration.md, docs/security.md). */
export const layerConfig = layer({ settings: AuthSettings.layerConfig, redis: AuthRedis.layerConfig })
