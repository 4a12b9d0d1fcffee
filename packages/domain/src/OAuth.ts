import { Schema } from "effect"

/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4), revocation (RFC 7009) and
 * introspection (RFC 7662). These endpoints live outside /v1: their answers
 * are the RFCs' own JSON, not the envelope.
 */
export const TokenRequest = Schema.Struct({
  grant_type: Schema.String.annotate({ description: "client_credentials" }),
  scope: Schema.optionalKey(Schema.String.annotate({ description: "space-separated roles: viewer, analyst, admin (default: the client's role)" })),
  client_id: Schema.optionalKey(Schema.String.annotate({ description: "when not sent with HTTP Basic" })),
  client_secret: Schema.optionalKey(Schema.String.annotate({ description: "when not sent with HTTP Basic" }))
}).annotate({ identifier: "TokenRequest" })

export const TokenResponse = Schema.Struct({
  access_token: Schema.String,
  token_type: Schema.Literal("Bearer"),
  expires_in: Schema.Int.annotate({ description: "seconds" }),
  scope: Schema.String
}).annotate({ identifier: "TokenResponse" })

/** RFC 6749 §5.2. */
export const OAuthError = Schema.Struct({
  error: Schema.Literals([
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "unsupported_token_type",
    "slow_down",
    "server_error"
  ]),
  error_description: Schema.String
}).annotate({ identifier: "OAuthError" })
export type OAuthError = typeof OAuthError.Type

export const RevokeRequest = Schema.Struct({
  token: Schema.String,
  token_type_hint: Schema.optionalKey(Schema.String),
  client_id: Schema.optionalKey(Schema.String),
  client_secret: Schema.optionalKey(Schema.String)
}).annotate({ identifier: "RevokeRequest" })

export const IntrospectRequest = Schema.Struct({
  token: Schema.String,
  token_type_hint: Schema.optionalKey(Schema.String)
}).annotate({ identifier: "IntrospectRequest" })

export const Introspection = Schema.Struct({
  active: Schema.Boolean,
  scope: Schema.optionalKey(Schema.String),
  client_id: Schema.optionalKey(Schema.String),
  token_type: Schema.optionalKey(Schema.Literal("Bearer")),
  exp: Schema.optionalKey(Schema.Int),
  iat: Schema.optionalKey(Schema.Int),
  sub: Schema.optionalKey(Schema.String)
}).annotate({ identifier: "Introspection" })
