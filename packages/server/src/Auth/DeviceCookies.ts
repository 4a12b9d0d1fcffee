import { Context, Effect, Layer } from "effect"
import { AuthKeys } from "./AuthKeys.ts"
import { randomToken } from "./Digests.ts"

export const DEVICE_COOKIE = "mg_device"

/**
 * Device cookies (OWASP's answer to lockout by brute force): a browser that
 * once logged in as a user carries a keyed proof of it, and its attempts for
 * that user are limited on their own, not with everyone else's. An attacker
 * hammering a username throttles only browsers without the proof; the user
 * on a known device always gets their attempts.
 */
export class DeviceCookies extends Context.Service<DeviceCookies, {
  readonly issue: (username: string) => string
  /** The device id of a genuine cookie for this username, else undefined. */
  readonly verify: (cookie: string | undefined, username: string) => string | undefined
}>()("@marketgate/server/Auth/DeviceCookies") {
  static readonly layer = Layer.effect(
    DeviceCookies,
    Effect.gen(function*() {
      const keys = yield* AuthKeys
      const proof = (username: string, nonce: string) => keys.keyedHash(`device:${username.toLowerCase()}:${nonce}`)
      return DeviceCookies.of({
        issue: (username) => {
          const nonce = randomToken(16)
          return `${nonce}.${proof(username, nonce)}`
        },
        verify: (cookie, username) => {
          if (cookie === undefined || cookie.length > 128) return undefined
          const [nonce, mac, ...rest] = cookie.split(".")
          if (nonce === undefined || mac === undefined || rest.length > 0 || nonce.length !== 22) return undefined
          return keys.matches(`device:${username.toLowerCase()}:${nonce}`, mac) ? nonce : undefined
        }
      })
    })
  )
}
