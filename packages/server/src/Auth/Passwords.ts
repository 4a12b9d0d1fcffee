import { Context, Effect, Layer, Redacted, Semaphore } from "effect"
import * as Crypto from "node:crypto"
import { digestsEqual } from "./Digests.ts"

/** Argon2id parameters; OWASP's first recommendation: 19 MiB, 2 passes, 1 lane. */
export interface Argon2Parameters {
  readonly memoryKiB: number
  readonly passes: number
  readonly parallelism: number
}

export const OWASP_ARGON2ID: Argon2Parameters = { memoryKiB: 19_456, passes: 2, parallelism: 1 }

const SALT_BYTES = 16
const TAG_BYTES = 32

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64").replace(/=+$/, "")

/** The PHC string every Argon2 implementation reads: `$argon2id$v=19$m=…,t=…,p=…$salt$hash`. */
const phc = (p: Argon2Parameters, salt: Uint8Array, tag: Uint8Array) =>
  `$argon2id$v=19$m=${p.memoryKiB},t=${p.passes},p=${p.parallelism}$${b64(salt)}$${b64(tag)}`

interface Parsed {
  readonly parameters: Argon2Parameters
  readonly salt: Buffer
  readonly tag: Buffer
}

const parse = (encoded: string): Parsed | undefined => {
  const m = /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]{11,})\$([A-Za-z0-9+/]{11,})$/.exec(encoded)
  if (m === null) return undefined
  return {
    parameters: { memoryKiB: Number(m[1]), passes: Number(m[2]), parallelism: Number(m[3]) },
    salt: Buffer.from(m[4]!, "base64"),
    tag: Buffer.from(m[5]!, "base64")
  }
}

/** Argon2id on libuv's thread pool: the event loop keeps serving while a hash is computed. */
const argon2 = (message: string, salt: Uint8Array, p: Argon2Parameters, tagLength: number) =>
  Effect.callback<Buffer>((resume) => {
    Crypto.argon2("argon2id", {
      message,
      nonce: salt,
      memory: p.memoryKiB,
      passes: p.passes,
      parallelism: p.parallelism,
      tagLength
    }, (error, tag) => resume(error === null ? Effect.succeed(tag) : Effect.die(error)))
  })

export interface PasswordCheck {
  readonly ok: boolean
  /** The stored hash used other parameters than today's: store `hash(password)` again. */
  readonly needsRehash: boolean
}

/**
 * People's passwords: Argon2id (node:crypto) in PHC strings. Hashes run at
 * most `concurrency` at a time (each takes 19 MiB and ~60 ms of a core), so a
 * burst of logins queues instead of exhausting memory. A hash made with other
 * parameters still verifies, and says it wants rehashing.
 */
export class Passwords extends Context.Service<Passwords, {
  readonly hash: (password: Redacted.Redacted<string>) => Effect.Effect<string>
  readonly verify: (password: Redacted.Redacted<string>, encoded: string) => Effect.Effect<PasswordCheck>
  /** The same work as a verification that fails: unknown usernames cost what known ones do. */
  readonly dummyVerify: (password: Redacted.Redacted<string>) => Effect.Effect<void>
}>()("@marketgate/server/Auth/Passwords") {
  static readonly make = (parameters: Argon2Parameters, concurrency: number) =>
    Effect.gen(function*() {
      const permits = yield* Semaphore.make(concurrency)
      const run = <A>(effect: Effect.Effect<A>) => permits.withPermits(1)(effect)
      const dummySalt = Crypto.randomBytes(SALT_BYTES)
      const hash = (password: Redacted.Redacted<string>) =>
        Effect.gen(function*() {
          const salt = Crypto.randomBytes(SALT_BYTES)
          const tag = yield* run(argon2(Redacted.value(password), salt, parameters, TAG_BYTES))
          return phc(parameters, salt, tag)
        }).pipe(Effect.withSpan("Passwords.hash"))
      const verify = (password: Redacted.Redacted<string>, encoded: string) =>
        Effect.gen(function*() {
          const parsed = parse(encoded)
          if (parsed === undefined || parsed.tag.length < 16 || parsed.salt.length < 8) {
            yield* run(argon2(Redacted.value(password), dummySalt, parameters, TAG_BYTES))
            return { ok: false, needsRehash: false }
          }
          const tag = yield* run(argon2(Redacted.value(password), parsed.salt, parsed.parameters, parsed.tag.length))
          const p = parsed.parameters
          return {
            ok: digestsEqual(tag, parsed.tag),
            needsRehash: p.memoryKiB !== parameters.memoryKiB || p.passes !== parameters.passes || p.parallelism !== parameters.parallelism
          }
        }).pipe(Effect.withSpan("Passwords.verify"))
      const dummyVerify = (password: Redacted.Redacted<string>) =>
        Effect.asVoid(run(argon2(Redacted.value(password), dummySalt, parameters, TAG_BYTES))).pipe(Effect.withSpan("Passwords.verify"))
      return Passwords.of({ hash, verify, dummyVerify })
    })

  static readonly layer = Layer.effect(Passwords, Passwords.make(OWASP_ARGON2ID, 2))
}
