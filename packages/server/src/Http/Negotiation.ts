import { createHash } from "node:crypto"

/**
 * A weak validator of an answer's data: the envelope around it differs per
 * request (latency, trace id), the data it carries does not, so two answers
 * with the same tag are equivalent, not byte-identical (RFC 9110 §8.8.1).
 */
export const weakEtag = (data: Uint8Array): string => `W/"${createHash("sha1").update(data).digest("base64url").slice(0, 22)}"`

const opaque = (tag: string) => (tag.startsWith("W/") ? tag.slice(2) : tag)

/** `If-None-Match` against our tag, by the weak comparison GET uses (RFC 9110 §13.1.2); `*` matches any. */
export const noneMatch = (header: string | undefined, etag: string): boolean => {
  if (header === undefined) return false
  const ours = opaque(etag)
  for (const raw of header.split(",")) {
    const tag = raw.trim()
    if (tag === "*" || opaque(tag) === ours) return true
  }
  return false
}

/** True when `Accept-Encoding` lists gzip (or `*`) without `q=0`. */
export const acceptsGzip = (header: string | undefined): boolean => {
  if (header === undefined) return false
  for (const part of header.toLowerCase().split(",")) {
    const [coding = "", ...params] = part.split(";").map((s) => s.trim())
    if (coding !== "gzip" && coding !== "x-gzip" && coding !== "*") continue
    const q = params.find((p) => p.startsWith("q="))
    if (q === undefined || Number(q.slice(2)) > 0) return true
  }
  return false
}
