import { Config, Duration, Effect, Layer, Option, Redacted } from "effect"
import { RedisCacheClient, type RedisCacheOptions } from "./RedisCacheClient.ts"
import * as RedisFillLock from "./RedisFillLock.ts"
import * as RedisInvalidationBus from "./RedisInvalidationBus.ts"
import * as RedisPopularityStore from "./RedisPopularityStore.ts"
import * as RedisSharedTier from "./RedisSharedTier.ts"
import { RemoteCache } from "./RemoteCache.ts"

export type { RedisCacheOptions } from "./RedisCacheClient.ts"

/** The four shared parts (RemoteCache.ts) on one Redis: one connection, one breaker, one namespace. */
export const layer = (options: RedisCacheOptions) =>
  Layer.mergeAll(RedisSharedTier.layer, RedisFillLock.layer, RedisInvalidationBus.layer, RedisPopularityStore.layer).pipe(
    Layer.provide(RedisCacheClient.layer(options))
  )

/** `REDIS_URL` set: the Redis tier; unset: L1 only. */
export const layerConfig = Layer.unwrap(
  Effect.gen(function*() {
    const url = yield* Config.option(Config.Redacted("REDIS_URL"))
    if (Option.isNone(url) || Redacted.value(url.value).length === 0) return RemoteCache.layerNone
    const timeout = yield* Config.Duration("CACHE_L2_TIMEOUT").pipe(Config.withDefault(Duration.millis(100)))
    const namespace = yield* Config.String("CACHE_NAMESPACE").pipe(Config.withDefault("mg:v1"))
    return layer({ url: url.value, namespace, timeout })
  })
)
