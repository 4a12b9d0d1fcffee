import { Data, Exit, Schema } from "effect"
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

/**
 * How values of one kind cross the process boundary: Schema-encoded JSON.
 * Decoding is synchronous (an `Exit`): an L2 read decodes on every L1 miss,
 * and a value in hand needs no fiber to be checked.
 */
export interface CacheCodec<A> {
  readonly encode: (value: A) => string
  readonly decode: (json: unknown) => Exit.Exit<A, Schema.SchemaError>
}

export const codecOf = <S extends Schema.Top & { readonly EncodingServices: never; readonly DecodingServices: never }>(
  schema: S
): CacheCodec<S["Type"]> => {
  const encode = Schema.encodeSync(schema)
  const decode = Schema.decodeUnknownExit(schema)
  return { encode: (value) => JSON.stringify(encode(value)), decode }
}

/** The L2 wire form: deadlines and the value in one JSON document, the value spliced in unparsed. */
export const toWire = (entry: CacheEntry<unknown>): string =>
  `{"f":${entry.freshUntil},"s":${entry.staleUntil},"v":${entry.json}}`

/** An L2 document that is not what `toWire` wrote (corrupt, or written by another format). */
export class WireFormatError extends Data.TaggedError("WireFormatError")<{ readonly message: string }> {}

const VALUE_AT = `"v":`

export const fromWire = <A>(raw: string, codec: CacheCodec<A>): Exit.Exit<CacheEntry<A>, WireFormatError> => {
  let parsed: { readonly f?: unknown; readonly s?: unknown; readonly v?: unknown }
  try {
    parsed = JSON.parse(raw)
  } catch (e) {
    return Exit.fail(new WireFormatError({ message: `not JSON: ${String(e)}` }))
  }
  const { f, s, v } = parsed ?? {}
  if (typeof f !== "number" || typeof s !== "number" || !Number.isFinite(f) || !Number.isFinite(s) || v === undefined) {
    return Exit.fail(new WireFormatError({ message: "not a cache entry: expected {f, s, v} with finite deadlines" }))
  }
  const value = codec.decode(v)
  if (Exit.isFailure(value)) {
    const reason = value.cause.reasons.find((r) => r._tag === "Fail")
    return Exit.fail(new WireFormatError({ message: reason === undefined ? "the value does not decode" : reason.error.message }))
  }
  // The value's JSON is the tail of the wire form (see toWire): no second stringify.
  return Exit.succeed({ value: value.value, json: raw.slice(raw.indexOf(VALUE_AT) + VALUE_AT.length, -1), freshUntil: f, staleUntil: s })
}

/** `mg:v1:<kind>:<key>`: namespaced and versioned, so a deploy with a new format never reads an old one. */
export const entryKey = (namespace: string, kind: CacheKind, key: string) => `${namespace}:${kind}:${key}`
