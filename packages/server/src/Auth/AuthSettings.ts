import type { Role } from "@marketgate/domain/Auth"
import { Config, Context, Duration, Effect, Layer, Option, type Redacted, Schema, SchemaGetter } from "effect"

/** Requests per `window` for each kind of caller; a client's own `rate_limit` overrides its role's. */
export interface RateQuotas {
  readonly window: Duration.Duration
  readonly anonymous: number
  readonly viewer: number
  readonly analyst: number
  readonly admin: number
}

export interface AuthOptions {
  /** Reads open to callers without credentials (at the anonymous per-IP quota). */
  readonly anonymousAccess: boolean
  readonly quotas: RateQuotas
  /** Login attempts per window: per client IP, and per username (without a device cookie of that user). */
  readonly login: { readonly window: Duration.Duration; readonly perIp: number; readonly perUsername: number }
  readonly sessionTtl: Duration.Duration
  readonly tokenTtl: Duration.Duration
  readonly userCacheTtl: Duration.Duration
  /** How long this instance trusts what it verified (bounds staleness when the revocation bus is down). */
  readonly localTtl: Duration.Duration
  /** `auto`: cookies are Secure, and HSTS sent, when the request came over TLS. */
  readonly secureCookies: "auto" | "always" | "never"
  /** Honour X-Forwarded-For / X-Forwarded-Proto (only behind a proxy that sets them). */
  readonly trustProxy: boolean
  /** Origins allowed to call from a browser (CORS), e.g. https://dash.example.com. */
  readonly corsOrigins: ReadonlyArray<string>
  readonly maxBodyBytes: number
  /** Smaller limit for /v1/auth and /oauth bodies. */
  readonly authMaxBodyBytes: number
  readonly adminUsername: string
  readonly adminPassword: Option.Option<Redacted.Redacted<string>>
  /** When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`. */
  readonly metricsToken: Option.Option<Redacted.Redacted<string>>
  /** Redis key prefix (the cache's namespace) for sessions, tokens, users and the revocation bus. */
  readonly namespace: string
}

export class AuthSettings extends Context.Service<AuthSettings, AuthOptions>()("@marketgate/server/Auth/AuthSettings") {}

export const defaults: AuthOptions = {
  anonymousAccess: true,
  quotas: { window: Duration.minutes(1), anonymous: 60, viewer: 600, analyst: 1_200, admin: 6_000 },
  login: { window: Duration.minutes(15), perIp: 30, perUsername: 10 },
  sessionTtl: Duration.minutes(30),
  tokenTtl: Duration.hours(1),
  userCacheTtl: Duration.minutes(5),
  localTtl: Duration.seconds(5),
  secureCookies: "auto",
  trustProxy: false,
  corsOrigins: [],
  maxBodyBytes: 1024 * 1024,
  authMaxBodyBytes: 16 * 1024,
  adminUsername: "admin",
  adminPassword: Option.none(),
  metricsToken: Option.none(),
  namespace: "mg:v1"
}

const wholeNumber = (name: string, minimum: number, maximum: number) =>
  Schema.NumberFromString.pipe(
    Schema.decodeTo(
      Schema.Finite.check(
        Schema.makeFilter((n: number) =>
          (Number.isInteger(n) && n >= minimum && n <= maximum) || `${name} must be a whole number from ${minimum} to ${maximum}`
        )
      )
    )
  )

const quota = (name: string, fallback: number) =>
  Config.schema(wholeNumber(name, 1, 100_000_000), name).pipe(Config.withDefault(fallback))

const bytes = (name: string, fallback: number) =>
  Config.schema(wholeNumber(name, 1024, 1024 * 1024 * 1024), name).pipe(Config.withDefault(fallback))

const Origins = Schema.String.pipe(
  Schema.decodeTo(
    Schema.Array(Schema.String).check(
      Schema.makeFilter((xs: ReadonlyArray<string>) =>
        xs.every((s) => /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(s)) ||
        "CORS_ORIGINS must list origins separated by commas, such as https://dash.example.com,http://localhost:5173"
      )
    ),
    {
      decode: SchemaGetter.transform((s: string) => s.split(",").map((x) => x.trim()).filter((x) => x.length > 0)),
      encode: SchemaGetter.transform((xs: ReadonlyArray<string>) => xs.join(","))
    }
  )
)

/** Every setting from the environment (docs/configuration.md); a bad value stops the start naming it. */
export const config = Config.all({
  anonymousAccess: Config.Boolean("ANONYMOUS_ACCESS").pipe(Config.withDefault(defaults.anonymousAccess)),
  window: Config.Duration("RATE_LIMIT_WINDOW").pipe(Config.withDefault(defaults.quotas.window)),
  anonymous: quota("RATE_LIMIT_ANONYMOUS", defaults.quotas.anonymous),
  viewer: quota("RATE_LIMIT_VIEWER", defaults.quotas.viewer),
  analyst: quota("RATE_LIMIT_ANALYST", defaults.quotas.analyst),
  admin: quota("RATE_LIMIT_ADMIN", defaults.quotas.admin),
  loginWindow: Config.Duration("LOGIN_LIMIT_WINDOW").pipe(Config.withDefault(defaults.login.window)),
  loginPerIp: quota("LOGIN_LIMIT_PER_IP", defaults.login.perIp),
  loginPerUsername: quota("LOGIN_LIMIT_PER_USERNAME", defaults.login.perUsername),
  sessionTtl: Config.Duration("SESSION_TTL").pipe(Config.withDefault(defaults.sessionTtl)),
  tokenTtl: Config.Duration("TOKEN_TTL").pipe(Config.withDefault(defaults.tokenTtl)),
  userCacheTtl: Config.Duration("USER_CACHE_TTL").pipe(Config.withDefault(defaults.userCacheTtl)),
  localTtl: Config.Duration("AUTH_LOCAL_CACHE_TTL").pipe(Config.withDefault(defaults.localTtl)),
  secureCookies: Config.Literals(["auto", "always", "never"], "COOKIE_SECURE").pipe(Config.withDefault("auto" as const)),
  trustProxy: Config.Boolean("TRUST_PROXY").pipe(Config.withDefault(false)),
  corsOrigins: Config.schema(Origins, "CORS_ORIGINS").pipe(Config.withDefault([] as ReadonlyArray<string>)),
  maxBodyBytes: bytes("MAX_BODY_BYTES", defaults.maxBodyBytes),
  authMaxBodyBytes: bytes("AUTH_MAX_BODY_BYTES", defaults.authMaxBodyBytes),
  adminUsername: Config.String("ADMIN_USERNAME").pipe(Config.withDefault(defaults.adminUsername)),
  adminPassword: Config.option(Config.Redacted("ADMIN_PASSWORD")),
  metricsToken: Config.option(Config.Redacted("METRICS_TOKEN")),
  namespace: Config.String("CACHE_NAMESPACE").pipe(Config.withDefault(defaults.namespace))
}).pipe(
  Config.map((c): AuthOptions => ({
    anonymousAccess: c.anonymousAccess,
    quotas: { window: c.window, anonymous: c.anonymous, viewer: c.viewer, analyst: c.analyst, admin: c.admin },
    login: { window: c.loginWindow, perIp: c.loginPerIp, perUsername: c.loginPerUsername },
    sessionTtl: c.sessionTtl,
    tokenTtl: c.tokenTtl,
    userCacheTtl: c.userCacheTtl,
    localTtl: c.localTtl,
    secureCookies: c.secureCookies,
    trustProxy: c.trustProxy,
    corsOrigins: c.corsOrigins,
    maxBodyBytes: c.maxBodyBytes,
    authMaxBodyBytes: c.authMaxBodyBytes,
    adminUsername: c.adminUsername,
    adminPassword: c.adminPassword,
    metricsToken: c.metricsToken,
    namespace: c.namespace
  }))
)

export const quotaFor = (quotas: RateQuotas, role: Role | "anonymous"): number => quotas[role]

export const layer = (options: Partial<AuthOptions> = {}) => Layer.succeed(AuthSettings, AuthSettings.of({ ...defaults, ...options }))

export const layerConfig = Layer.effect(AuthSettings, Effect.map(config, (o) => AuthSettings.of(o)))
