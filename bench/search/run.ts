/**
 * Instrument search over a catalog of 10,000 instruments: every real US
 * listing of the recorded Nasdaq directory (2025-10-20) up to the count, and
 * the simulated A-share universe (Chinese names, for the pinyin paths).
 * Reports the index build time and p50/p99/max per search by query shape.
 *
 *   npm run bench:search            (BENCH_SEARCH_ROUNDS=2000 by default)
 */
import type { Instrument } from "@marketgate/domain/Instrument"
import { Result } from "effect"
import { readFileSync } from "node:fs"
import { SearchIndex } from "../../packages/server/src/Instruments/SearchIndex.ts"
import { parseSymbolDirectory } from "../../packages/server/src/Sources/NasdaqTrader/SymbolDirectory.ts"
import { simulatedUniverse } from "../../packages/server/src/Sources/Simulated/Universe.ts"

const SIZE = 10_000
const ROUNDS = Number(process.env.BENCH_SEARCH_ROUNDS ?? 2000)

const directory = (file: "nasdaqlisted" | "otherlisted") =>
  Result.getOrThrow(parseSymbolDirectory(
    readFileSync(new URL(`../../packages/server/test/fixtures/nasdaqtrader/${file}-2025-10-20.txt`, import.meta.url), "utf8"),
    file
  )).instruments

const cn = simulatedUniverse().filter((i) => i.market === "CN")
const us = [...directory("nasdaqlisted"), ...directory("otherlisted")]
const catalog: ReadonlyArray<Instrument> = [...cn, ...us.slice(0, SIZE - cn.length)]

const built = performance.now()
const index = SearchIndex.of(catalog)
const buildMs = performance.now() - built

const shapes: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
  ["exact code", ["600519", "000001", "AAPL", "300750"]],
  ["code prefix", ["6005", "3007", "00000", "MS"]],
  ["pinyin initials", ["gzmt", "payh", "zgpa", "zs"]],
  ["full pinyin", ["guizhoumaotai", "pinganyinhang", "zhongguo", "huaxin"]],
  ["name substring", ["茅台", "银行", "apple", "technologies"]],
  ["one letter (many matches)", ["a", "z", "s", "c"]],
  ["no match", ["qqqqqq", "不存在的名字", "zzzzzzzz", "xyzxyz"]]
]

const percentile = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!

// Warm the JIT on every shape before measuring.
for (let i = 0; i < 200; i++) for (const [, qs] of shapes) for (const q of qs) index.search({ q, limit: 20, offset: 0 })

console.log(`catalog: ${catalog.length} instruments (${cn.length} A-shares simulated, ${catalog.length - cn.length} real US listings); index built in ${buildMs.toFixed(0)} ms`)
console.log(`| query shape | p50 ms | p99 ms | max ms | matches |`)
console.log(`|---|---|---|---|---|`)
const all: Array<number> = []
for (const [shape, qs] of shapes) {
  const times: Array<number> = []
  let matches = 0
  for (let r = 0; r < ROUNDS; r++) {
    const q = qs[r % qs.length]!
    const t = performance.now()
    const page = index.search({ q, limit: 20, offset: 0 })
    times.push(performance.now() - t)
    matches = page.total
  }
  times.sort((a, b) => a - b)
  all.push(...times)
  console.log(`| ${shape} | ${percentile(times, 0.5).toFixed(3)} | ${percentile(times, 0.99).toFixed(3)} | ${times.at(-1)!.toFixed(3)} | ${matches} |`)
}
all.sort((a, b) => a - b)
console.log(`| all ${all.length} searches | ${percentile(all, 0.5).toFixed(3)} | ${percentile(all, 0.99).toFixed(3)} | ${all.at(-1)!.toFixed(3)} | |`)
