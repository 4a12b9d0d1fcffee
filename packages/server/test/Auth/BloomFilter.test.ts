import { assert, describe, it } from "@effect/vitest"
import { DigestBloomFilter } from "../../src/Auth/BloomFilter.ts"
import { randomToken, sha256Text } from "../../src/Auth/Digests.ts"

describe("DigestBloomFilter", () => {
  it("never forgets a member (digests and plain strings), and is wrong about ~1 % of non-members", () => {
    const filter = new DigestBloomFilter(20_000)
    const members = Array.from({ length: 20_000 }, (_, i) => (i % 2 === 0 ? sha256Text(`token ${i}`) : `user${i}@example.com`))
    for (const m of members) filter.add(m)
    for (const m of members) assert.isTrue(filter.mightContain(m), m)
    let falsePositives = 0
    for (let i = 0; i < 20_000; i++) if (filter.mightContain(sha256Text(randomToken(32)))) falsePositives++
    // 1 % expected; a broken filter is far off either way.
    assert.isBelow(falsePositives / 20_000, 0.03)
    assert.isFalse(filter.saturated)
    filter.add("one more")
    assert.isTrue(filter.saturated)
  })
})
