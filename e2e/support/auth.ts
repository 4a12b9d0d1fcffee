/**
 * Signing in from the tests as a person would: POST /v1/auth/login, then the
 * session cookie rides along and state-changing requests repeat the CSRF token.
 * TOTP is computed here from RFC 6238 on its own, not with the server's code.
 */
import { expect, request as playwrightRequest, type APIRequestContext } from "@playwright/test"
import * as Crypto from "node:crypto"

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

const base32Decode = (text: string) => {
  let bits = 0
  let value = 0
  const out: Array<number> = []
  for (const ch of text.replace(/=+$/, "").toUpperCase()) {
    value = (value << 5) | BASE32.indexOf(ch)
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

/** The 6-digit TOTP code (HMAC-SHA1, 30 s steps) of a base32 secret at an instant. */
export const totp = (secret: string, atMs: number) => {
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(atMs / 30_000)))
  const mac = Crypto.createHmac("sha1", base32Decode(secret)).update(counter).digest()
  const offset = mac[mac.length - 1]! & 15
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0")
}

export interface Session {
  readonly request: APIRequestContext
  readonly csrf: string
}

/** A request context of its own, signed in: its cookies are the session's, its default headers carry the CSRF token. */
export const signIn = async (baseURL: string, username: string, password: string, code?: string): Promise<Session> => {
  const login = await playwrightRequest.newContext({ baseURL })
  const answer = await login.post("/v1/auth/login", { data: code === undefined ? { username, password } : { username, password, totp: code } })
  const body = await answer.json()
  expect(answer.status(), JSON.stringify(body)).toBe(200)
  const csrf: string = body.data.principal.csrf_token
  const storageState = await login.storageState()
  await login.dispose()
  const request = await playwrightRequest.newContext({ baseURL, storageState, extraHTTPHeaders: { "x-csrf-token": csrf } })
  return { request, csrf }
}
