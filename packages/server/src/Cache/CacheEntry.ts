import { Effect, Schema } from "effect"
import type { CacheKind } from "./CachePolicy.ts"

/**
 * A cached value with its serialised form (made once, when stored) and its
 * two deadlines (epoch ms): fresh until `freshUntil`, servable stale until
 * `staleUntil`.
 */
export interface CacheEntry<A> {
  readonly value: A
  readonly json: string
  readonly freshUntil: number
  readonly staleUntil: number
}

/** How values of one kind cross the process boundary: Schema-encoded JSON. */
export interface CacheCodec<A> {
  readonly encode: (value: A) => string
  readonly decode: (json: unknown) => Effect.Effect<A, Schema.SchemaError>
}

export const codecOf = <S extends Schema.Top & { readonly EncodingServices: never; readonly DecodingServices: never }>(
  schema: S
): CacheCodec<S["Type"]> => {
  const encode = Schema.encodeSync(schema)
  const decode = Schema.decodeUnknownEffect(schema)
  return { encode: (value) => JSON.stringify(encode(value)), decode }
}

/** The L2 wire form: deadlines and the value in one JSON document, the value spliced in unparsed. */
export const toWire = (entry: CacheEntry<unknown>): string =>
  `{"f":${entry.freshUntil},"s":${entry.staleUntil},"v":${entry.json}}`

const Wire = Schema.Struct({ f: Schema.Finite, s: Schema.Finite, v: Schema.Unknown })

export const fromWire = <A>(raw: string, codec: CacheCodec<A>): Effect.Effect<CacheEntry<A>, Schema.SchemaError | Error> =>
  Effect.gen(function*() {
    const parsed = yield* Effect.try({ try: () => JSON.parse(raw) as unknown, catch: (e) => new Error(`not JSON: ${String(e)}`) })
    const wire = yield* Schema.decodeUnknownEffect(Wire)(parsed)
    const value = yield* codec.decode(wire.v)
    // The value's JSON is the tail of the wire form (see toWire): no second stringify.
    return { value, json: raw.slice(raw.indexOf(`"v":`) + 4, -1), freshUntil: wire.f, staleUntil: wire.s }
  })

/** `mg:v1:<kind>:<key>`: namespaced and versioned, so a deploy with a new format never reads an old one. */
export const entryKey = (namespace: string, kind: CacheKind, key: string) => `${namespace}:${kind}:${key}`
