import { Context, Effect, Layer, Option, Schema } from "effect"
import { AuthRedis } from "./AuthRedis.ts"

/** What one instance tells the others (Redis pub/sub): drop what you trusted, or learn a new token. */
export type AuthEvent =
  | { readonly t: "token-revoked"; readonly h: string }
  | { readonly t: "token-issued"; readonly h: string }
  | { readonly t: "client-changed"; readonly id: string }
  | { readonly t: "user-changed"; readonly id: string; readonly login?: string | undefined }
  | { readonly t: "session-ended"; readonly id: string }

const Message = Schema.fromJsonString(
  Schema.Union([
    Schema.Struct({ t: Schema.Literals(["token-revoked", "token-issued"]), h: Schema.String }),
    Schema.Struct({ t: Schema.Literals(["client-changed", "user-changed", "session-ended"]), id: Schema.String, login: Schema.optionalKey(Schema.String) })
  ])
)
const decode = Schema.decodeUnknownOption(Message)

/**
 * The revocation bus. `publish` applies an event here at once and sends it to
 * every other instance; listeners (the token, session, user and client
 * caches) run for events from anywhere. Without Redis it is local only, and
 * other instances' local caches expire within AUTH_LOCAL_CACHE_TTL.
 */
export class AuthEvents extends Context.Service<AuthEvents, {
  readonly publish: (event: AuthEvent) => Effect.Effect<void>
  /** Adds a listener; it runs synchronously for every event (keep it cheap). */
  readonly listen: (listener: (event: AuthEvent) => void) => Effect.Effect<void>
}>()("@marketgate/server/Auth/AuthEvents") {
  static readonly layer = Layer.effect(
    AuthEvents,
    Effect.gen(function*() {
      const redis = yield* AuthRedis
      const listeners: Array<(event: AuthEvent) => void> = []
      const deliver = (event: AuthEvent) => {
        for (const listener of listeners) listener(event)
      }
      yield* redis.subscribe((message) => {
        const event = decode(message)
        if (Option.isSome(event)) deliver(event.value as AuthEvent)
      })
      return AuthEvents.of({
        publish: (event) =>
          Effect.suspend(() => {
            deliver(event)
            return redis.publish(JSON.stringify(event))
          }),
        listen: (listener) => Effect.sync(() => void listeners.push(listener))
      })
    })
  )
}
