import { Duration, Effect, Layer, Option, Schema } from "effect"
import { cacheKinds } from "./CachePolicy.ts"
import { type Invalidation, InvalidationBus } from "./InvalidationBus.ts"
import { CONNECT_TIMEOUT_MS, RedisCacheClient } from "./RedisCacheClient.ts"

const InvalidationMessage = Schema.fromJsonString(
  Schema.Struct({
    kind: Schema.Literals(cacheKinds),
    key: Schema.optionalKey(Schema.String),
    prefix: Schema.optionalKey(Schema.String),
    origin: Schema.String
  })
)

/** Invalidations over Redis pub/sub, on `<namespace>:invalidate`, received on the subscriber connection. */
export const layer = Layer.effect(
  InvalidationBus,
  Effect.gen(function*() {
    const { client, command, namespace, subscriber } = yield* RedisCacheClient
    const channel = `${namespace}:invalidate`
    return InvalidationBus.of({
      publish: (message) => command("publish", () => client.publish(channel, JSON.stringify(message))).pipe(Effect.ignore),
      subscribe: (handler) =>
        Effect.gen(function*() {
          const decode = Schema.decodeUnknownOption(InvalidationMessage)
          const services = yield* Effect.context<never>()
          const listener = (ch: string, message: string) => {
            if (ch !== channel) return
            const parsed = decode(message)
            if (Option.isSome(parsed)) Effect.runForkWith(services)(handler(parsed.value as Invalidation))
          }
          // Awaited (briefly): an invalidation published just after start-up
          // must not be missed. If Redis is down the subscription is queued
          // and ioredis subscribes again when it reconnects.
          yield* Effect.acquireRelease(
            Effect.sync(() => {
              subscriber.on("message", listener)
              return subscriber.subscribe(channel).catch(() => 0)
            }),
            () => Effect.sync(() => void subscriber.off("message", listener))
          ).pipe(
            Effect.flatMap((subscribed) => Effect.promise(() => subscribed)),
            Effect.timeoutOrElse({ duration: Duration.millis(CONNECT_TIMEOUT_MS), orElse: () => Effect.void })
          )
        })
    })
  })
)
