import { Effect, Schema } from "effect"
import { HttpServerResponse } from "effect/http"

/**
 * A JSON response encoded with the endpoint's Schema once per value: cached
 * values come back as the same object, so a cache hit reuses its UTF-8 bytes
 * instead of re-encoding hundreds of bars per request. The memo is weak: it
 * lives exactly as long as the cached value.
 */
export const jsonEncoder = <S extends Schema.Top & { readonly EncodingServices: never }>(schema: S) => {
  const encode = Schema.encodeEffect(schema)
  const memo = new WeakMap<object, Uint8Array>()

  const bytes = (value: S["Type"] & object): Effect.Effect<Uint8Array> => {
    const cached = memo.get(value)
    if (cached !== undefined) return Effect.succeed(cached)
    return encode(value).pipe(
      Effect.map((encoded) => {
        const json = Buffer.from(JSON.stringify(encoded))
        memo.set(value, json)
        return json
      }),
      // Our own value failing its own schema is a bug, not the caller's problem.
      Effect.orDie
    )
  }

  const response = (value: S["Type"] & object) =>
    Effect.map(bytes(value), (body) => HttpServerResponse.uint8Array(body, { contentType: "application/json" }))

  return { bytes, response }
}

const comma = Buffer.from(",")

/** `prefix` + items joined by commas + `suffix`, as one buffer. */
export const joinJson = (prefix: string, items: ReadonlyArray<Uint8Array>, suffix: string): Uint8Array => {
  const parts: Array<Uint8Array> = [Buffer.from(prefix)]
  items.forEach((item, i) => {
    if (i > 0) parts.push(comma)
    parts.push(item)
  })
  parts.push(Buffer.from(suffix))
  return Buffer.concat(parts)
}
