import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { gunzipSync } from "node:zlib"
import { gzipHead, gzipWithTail } from "../../src/Http/GzipSplice.ts"
import { acceptsGzip, noneMatch, weakEtag } from "../../src/Http/Negotiation.ts"

describe("GzipSplice", () => {
  it("a head compressed once plus a stored tail is one gzip member gunzip reads back", () => {
    const head = Buffer.from(`{"code":0,"data":${JSON.stringify({ bars: Array.from({ length: 300 }, (_, i) => ({ i, close: i * 1.5 })) })},"msg":"ok","performance":{"latency_ms":`)
    const compressed = gzipHead(head)
    assert.isBelow(compressed.prefix.length, head.length / 3)
    for (const tail of [`0.123,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","cache_hit":true}}`, "", "x"]) {
      const out = gunzipSync(gzipWithTail(compressed, Buffer.from(tail)))
      assert.strictEqual(out.toString(), head.toString() + tail)
    }
  })

  it("round-trips any head and tail", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 5000 }), fc.uint8Array({ maxLength: 300 }), (head, tail) => {
      const out = gunzipSync(gzipWithTail(gzipHead(head), Buffer.from(tail)))
      assert.isTrue(out.equals(Buffer.concat([head, tail])))
    }), { numRuns: 200 })
  })
})

describe("Negotiation", () => {
  it("If-None-Match compares weakly, in a list, and * matches", () => {
    const tag = weakEtag(Buffer.from("data"))
    assert.isTrue(noneMatch(tag, tag))
    assert.isTrue(noneMatch(tag.slice(2), tag))
    assert.isTrue(noneMatch(`"other", ${tag}`, tag))
    assert.isTrue(noneMatch("*", tag))
    assert.isFalse(noneMatch(`"other"`, tag))
    assert.isFalse(noneMatch(undefined, tag))
    assert.notStrictEqual(weakEtag(Buffer.from("data2")), tag)
  })

  it("Accept-Encoding: gzip unless refused with q=0", () => {
    assert.isTrue(acceptsGzip("gzip, deflate, br"))
    assert.isTrue(acceptsGzip("br;q=1.0, GZIP;q=0.5"))
    assert.isTrue(acceptsGzip("*"))
    assert.isFalse(acceptsGzip("gzip;q=0"))
    assert.isFalse(acceptsGzip("br, deflate"))
    assert.isFalse(acceptsGzip("identity"))
    assert.isFalse(acceptsGzip(undefined))
  })
})
