import { Clock, Context, Effect, Layer } from "effect"
import * as Crypto from "node:crypto"
import { AuthStateRepo } from "./AuthStateRepo.ts"
import { digestsEqual, randomToken } from "./Digests.ts"

/**
 * The key of the fast keyed hashes: client secrets (256 random bits each, so
 * HMAC-SHA256 suffices; the slow KDF is for people's passwords) and device
 * cookies. Made once at first start and shared through `auth_state`.
 */
export class AuthKeys extends Context.Service<AuthKeys, {
  /** HMAC-SHA256 of `text`, base64url. */
  readonly keyedHash: (text: string) => string
  /** Constant-time check that `text` hashes to `expected`. */
  readonly matches: (text: string, expected: string) => boolean
}>()("@marketgate/server/Auth/AuthKeys") {
  static readonly layer = Layer.effect(
    AuthKeys,
    Effect.gen(function*() {
      const repo = yield* AuthStateRepo
      const now = yield* Clock.currentTimeMillis
      const stored = yield* repo.putIfAbsent("hmac_key", randomToken(32), null, now).pipe(Effect.orDie)
      const key = Crypto.createSecretKey(Buffer.from(stored, "base64url"))
      const mac = (text: string) => Crypto.createHmac("sha256", key).update(text).digest()
      return AuthKeys.of({
        keyedHash: (text) => mac(text).toString("base64url"),
        matches: (text, expected) => digestsEqual(mac(text), Buffer.from(expected, "base64url"))
      })
    })
  )
}
