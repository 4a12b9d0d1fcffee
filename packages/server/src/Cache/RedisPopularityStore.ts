import { Effect, Layer } from "effect"
import { PopularityStore } from "./PopularityStore.ts"
import { RedisCacheClient } from "./RedisCacheClient.ts"

/** Request counts in one sorted set, `<namespace>:hot`, that every instance adds to. */
export const layer = Layer.effect(
  PopularityStore,
  Effect.gen(function*() {
    const { client, command, namespace } = yield* RedisCacheClient
    const hotKey = `${namespace}:hot`
    return PopularityStore.of({
      enabled: true,
      recordHits: (counts) =>
        command("hot", () => {
          const pipeline = client.pipeline()
          for (const [symbol, n] of counts) pipeline.zincrby(hotKey, n, symbol)
          return pipeline.exec()
        }).pipe(Effect.ignore),
      hottest: (n) => command("hottest", () => client.zrevrange(hotKey, 0, n - 1)).pipe(Effect.orElseSucceed(() => []))
    })
  })
)
