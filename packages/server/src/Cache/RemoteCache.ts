import { Layer } from "effect"
import { FillLock } from "./FillLock.ts"
import { InvalidationBus } from "./InvalidationBus.ts"
import { PopularityStore } from "./PopularityStore.ts"
import { SharedTier } from "./SharedTier.ts"

/**
 * What instances share, as four services: the L2 tier (SharedTier), a short
 * lock per cold key (FillLock), the invalidation channel (InvalidationBus)
 * and the request counts that tell prewarm which symbols are hot
 * (PopularityStore). RedisRemoteCache provides all four over one connection.
 */
export type RemoteCache = SharedTier | FillLock | InvalidationBus | PopularityStore

export const RemoteCache = {
  /** The L1-only deployment: every part answers "nothing shared". */
  layerNone: Layer.mergeAll(SharedTier.layerNone, FillLock.layerNone, InvalidationBus.layerNone, PopularityStore.layerNone)
} as const
