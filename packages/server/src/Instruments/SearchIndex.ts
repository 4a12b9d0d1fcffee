import type { Instrument, InstrumentKind } from "@marketgate/domain/Instrument"
import type { Market } from "@marketgate/domain/Symbol"
import { pinyin } from "pinyin-pro"

/**
 * Instrument search as Chinese users expect it: by code, name, pinyin
 * initials (`gzmt`) and full pinyin (`guizhoumaotai`) → 贵州茅台, and by English
 * name for US listings. The pinyin of every name is computed once, when the
 * catalog loads. A search binary-searches sorted keys for the prefix ranks
 * and runs the engine's `indexOf` over one joined string for the substring
 * ranks, so it does not compare every entry.
 */

interface Entry {
  readonly instrument: Instrument
  readonly code: string
  readonly symbol: string
  readonly name: string
  /** Pinyin initials, `gzmt`; empty for names without Chinese. */
  readonly initials: string
  /** Full pinyin without spaces, `guizhoumaotai`. */
  readonly full: string
}

const hasHan = /\p{Script=Han}/u
const syllable = /^[a-zü]+$/

const entryOf = (instrument: Instrument): Entry => {
  const han = hasHan.test(instrument.name)
  // One pass: a syllable's initial is its first letter; other runs ("300ETF") stay whole.
  const parts = han ? pinyin(instrument.name, { toneType: "none", type: "array", nonZh: "consecutive" }) : []
  const clean = (s: string) => s.replace(/\s+/g, "").toLowerCase()
  return {
    instrument,
    code: instrument.code.toLowerCase(),
    symbol: instrument.symbol.toLowerCase(),
    name: instrument.name.toLowerCase(),
    initials: clean(parts.map((p) => (syllable.test(p) ? p[0]! : p)).join("")),
    full: clean(parts.join(""))
  }
}

/** Keys sorted for prefix search, each pointing at an entry. */
interface Keys {
  readonly keys: ReadonlyArray<string>
  readonly entries: Int32Array
}

const keysOf = (entries: ReadonlyArray<Entry>, field: (e: Entry) => string): Keys => {
  const pairs = entries.flatMap((e, i) => (field(e).length > 0 ? [[field(e), i] as const] : []))
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]))
  return { keys: pairs.map((p) => p[0]), entries: Int32Array.from(pairs.map((p) => p[1])) }
}

/** Entries whose key starts with `q` (or equals it), by binary search. */
const withPrefix = (k: Keys, q: string, exact: boolean, visit: (entry: number) => void) => {
  let lo = 0
  let hi = k.keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (k.keys[mid]! < q) lo = mid + 1
    else hi = mid
  }
  for (let i = lo; i < k.keys.length; i++) {
    const key = k.keys[i]!
    if (exact ? key !== q : !key.startsWith(q)) break
    visit(k.entries[i]!)
  }
}

/** One string of every entry's text, `\u0001`-separated, and where each entry starts. */
interface Joined {
  readonly text: string
  readonly starts: Int32Array
}

const SEP = "\u0001"

const joinedOf = (entries: ReadonlyArray<Entry>, field: (e: Entry) => string): Joined => {
  const starts = new Int32Array(entries.length)
  let at = 0
  const parts: Array<string> = []
  entries.forEach((e, i) => {
    starts[i] = at
    const text = field(e)
    parts.push(text)
    at += text.length + 1
  })
  return { text: parts.join(SEP), starts }
}

/** Entries whose text contains `q`. */
const containing = (j: Joined, q: string, visit: (entry: number) => void) => {
  if (q.length === 0 || q.includes(SEP)) return
  let from = 0
  let last = -1
  for (;;) {
    const at = j.text.indexOf(q, from)
    if (at < 0) return
    // The entry whose text starts at or before `at`.
    let lo = 0
    let hi = j.starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (j.starts[mid]! <= at) lo = mid
      else hi = mid - 1
    }
    if (lo !== last) visit(lo)
    last = lo
    // On to the next entry: one hit per entry is enough.
    from = lo + 1 < j.starts.length ? j.starts[lo + 1]! : j.text.length
  }
}

export interface SearchQuery {
  readonly q?: string | undefined
  readonly market?: Market | undefined
  readonly kind?: InstrumentKind | undefined
  readonly limit: number
  readonly offset: number
}

const RANKS = 7

export class SearchIndex {
  // In answer order within a rank: listed before delisted, then by symbol.
  private readonly entries: ReadonlyArray<Entry>
  private readonly codes: Keys
  private readonly symbols: Keys
  private readonly initials: Keys
  private readonly fulls: Keys
  private readonly names: Keys
  private readonly nameText: Joined
  private readonly pinyinText: Joined
  // Scratch of one search at a time (search is synchronous): no allocation per entry, so no GC pauses.
  private readonly rankOf: Int8Array
  private readonly touched: Array<number> = []

  private constructor(unordered: ReadonlyArray<Entry>) {
    const entries = [...unordered].sort((a, b) =>
      (a.instrument.delisted_date === null ? 0 : 1) - (b.instrument.delisted_date === null ? 0 : 1) ||
      (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)
    )
    this.entries = entries
    this.codes = keysOf(entries, (e) => e.code)
    this.symbols = keysOf(entries, (e) => e.symbol)
    this.initials = keysOf(entries, (e) => e.initials)
    this.fulls = keysOf(entries, (e) => e.full)
    this.names = keysOf(entries, (e) => e.name)
    this.nameText = joinedOf(entries, (e) => e.name)
    this.pinyinText = joinedOf(entries, (e) => `${e.initials} ${e.full}`)
    this.rankOf = new Int8Array(entries.length).fill(RANKS)
  }

  static of(instruments: ReadonlyArray<Instrument>): SearchIndex {
    return new SearchIndex(instruments.map(entryOf))
  }

  /** The same index with one more instrument (a discovered symbol), or one replaced; others keep their pinyin. */
  with(instrument: Instrument): SearchIndex {
    return new SearchIndex([...this.entries.filter((e) => e.instrument.symbol !== instrument.symbol), entryOf(instrument)])
  }

  search(query: SearchQuery): { readonly total: number; readonly instruments: ReadonlyArray<Instrument> } {
    const q = query.q?.trim().toLowerCase() ?? ""
    const compact = q.replace(/\s+/g, "")
    const keep = (i: number) => {
      const instrument = this.entries[i]!.instrument
      return (query.market === undefined || instrument.market === query.market) && (query.kind === undefined || instrument.kind === query.kind)
    }
    let ordered: Array<number>
    if (q.length === 0) {
      ordered = []
      for (let i = 0; i < this.entries.length; i++) if (keep(i)) ordered.push(i)
    } else {
      // Each entry counts once, at its best rank: exact code or symbol, code prefix,
      // pinyin initials prefix, full pinyin prefix, name prefix, name substring, pinyin substring.
      const rankOf = this.rankOf
      const touched = this.touched
      touched.length = 0
      const mark = (rank: number) => (i: number) => {
        if (rankOf[i] === RANKS) touched.push(i)
        if (rank < rankOf[i]!) rankOf[i] = rank
      }
      withPrefix(this.codes, q, true, mark(0))
      withPrefix(this.symbols, q, true, mark(0))
      withPrefix(this.codes, q, false, mark(1))
      withPrefix(this.symbols, q, false, mark(1))
      withPrefix(this.initials, compact, false, mark(2))
      withPrefix(this.fulls, compact, false, mark(3))
      withPrefix(this.names, q, false, mark(4))
      // A single Latin letter or digit is in most names: substrings start at two (or one Han character).
      if (q.length >= 2 || hasHan.test(q)) {
        containing(this.nameText, q, mark(5))
        containing(this.pinyinText, compact, mark(6))
      }
      // Entry indices are already in answer order within a rank: sort by (rank, index).
      ordered = touched.filter(keep).sort((a, b) => rankOf[a]! - rankOf[b]! || a - b)
      for (const i of touched) rankOf[i] = RANKS
    }
    return {
      total: ordered.length,
      instruments: ordered.slice(query.offset, query.offset + query.limit).map((i) => this.entries[i]!.instrument)
    }
  }
}
