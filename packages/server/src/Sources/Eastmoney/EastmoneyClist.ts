import { cnListingOf } from "@marketgate/domain/ChinaBoards"
import { type Instrument, makeInstrument } from "@marketgate/domain/Instrument"
import type { Quote } from "@marketgate/domain/Quote"
import { makeSymbol } from "@marketgate/domain/Symbol"
import { Clock, Effect, Schema } from "effect"
import { type HttpClient, HttpClientRequest } from "effect/http"
import { cnQuote } from "../HttpProvider/ChinaQuote.ts"
import { badResponse, type CallInfo, decodeJson, fetchText } from "../HttpProvider/ProviderHttp.ts"
import type { SourceError } from "../MarketDataSource.ts"

/**
 * Eastmoney's full-market list (`api/qt/clist/get`, the call behind akshare's
 * stock_zh_a_spot_em): every listing of a group of boards, with its latest
 * figures, 100 rows a page (the server's cap), sorted by code so that pages
 * do not shift while prices move.
 */

/** The board groups asked for, each paged on its own. */
export const clistGroups = [
  { name: "SH A-shares (main board, STAR)", fs: "m:1 t:2,m:1 t:23" },
  { name: "SZ A-shares (main board, ChiNext)", fs: "m:0 t:6,m:0 t:80" },
  { name: "ETFs", fs: "b:MK0021,b:MK0022,b:MK0023,b:MK0024" }
] as const

const PAGE_SIZE = 100
/** A bound on pages per group (5,000+ listings is ~50 pages), so a server that never ends its list cannot loop us. */
const MAX_PAGES = 120
const FIELDS = "f2,f3,f4,f5,f6,f12,f13,f14,f15,f16,f17,f18,f26,f124"

/** "-" (no trade yet, suspended) and absent fields are the same: no figure. */
const Figure = Schema.Union([Schema.Finite, Schema.String])

const ClistRow = Schema.Struct({
  f12: Schema.String, // code
  f13: Schema.optionalKey(Schema.Finite), // market: 1 Shanghai, 0 Shenzhen
  f14: Schema.String, // name
  f2: Schema.optionalKey(Figure), // last price
  f5: Schema.optionalKey(Figure), // volume, lots of 100 shares
  f6: Schema.optionalKey(Figure), // amount, CNY
  f15: Schema.optionalKey(Figure), // high
  f16: Schema.optionalKey(Figure), // low
  f17: Schema.optionalKey(Figure), // open
  f18: Schema.optionalKey(Figure), // previous close
  f26: Schema.optionalKey(Figure), // listing date, YYYYMMDD
  f124: Schema.optionalKey(Figure) // time of the figures, unix seconds
})
export type ClistRow = typeof ClistRow.Type

/** `diff` is an array, or (in some answers) an object keyed "0", "1", … in order. */
export const ClistResponse = Schema.Struct({
  data: Schema.optionalKey(Schema.NullOr(Schema.Struct({
    total: Schema.Finite,
    diff: Schema.Union([Schema.Array(ClistRow), Schema.Record(Schema.String, ClistRow)])
  })))
})

const num = (x: number | string | undefined) => (typeof x === "number" ? x : undefined)

export const rowsOf = <R>(diff: ReadonlyArray<R> | Readonly<Record<string, R>>): ReadonlyArray<R> =>
  Array.isArray(diff)
    ? diff
    : Object.entries(diff as Record<string, R>).sort(([a], [b]) => Number(a) - Number(b)).map(([, row]) => row)

/** One group's rows, page by page, and the total the server said the group has. */
const groupRows = (client: HttpClient.HttpClient, base: string, call: CallInfo, fs: string) =>
  Effect.gen(function*() {
    const rows: Array<ClistRow> = []
    let total = 0
    for (let pn = 1; pn <= MAX_PAGES; pn++) {
      const body = yield* fetchText(
        client,
        HttpClientRequest.get(`${base}/api/qt/clist/get`, {
          urlParams: { pn: String(pn), pz: String(PAGE_SIZE), po: "0", np: "1", fltt: "2", invt: "2", fid: "f12", fs, fields: FIELDS },
          acceptJson: true
        }),
        call
      ).pipe(Effect.flatMap(decodeJson(ClistResponse, call)))
      // Past the last page the server answers without data.
      if (body.data == null) break
      total = body.data.total
      const page = rowsOf(body.data.diff)
      rows.push(...page)
      if (page.length === 0 || rows.length >= total) break
    }
    return { rows, total }
  })

/**
 * The listing a row is, when it is a stock or ETF this service serves. The
 * market is f13, or (an answer without it) what the code's range says: SH
 * codes start with 5 or 6, SZ codes with 0, 1 or 3.
 */
export const instrumentOfRow = (row: ClistRow): Instrument | undefined => {
  const exchange = row.f13 === 1 ? "SH" : row.f13 === 0 ? "SZ" : /^[56]/.test(row.f12) ? "SH" : /^[013]/.test(row.f12) ? "SZ" : undefined
  if (exchange === undefined) return undefined
  const listing = cnListingOf(row.f12, exchange)
  if (listing === undefined || listing.kind === "index") return undefined
  const listed = num(row.f26)
  const date = listed === undefined || listed < 19900101
    ? null
    : `${String(listed).slice(0, 4)}-${String(listed).slice(4, 6)}-${String(listed).slice(6, 8)}`
  // Names carry the exchange's padding ("万  科Ａ"): spaces are dropped, as quote screens show them.
  return makeInstrument(row.f12, exchange, row.f14.replace(/\s+/g, ""), listing.board, date, null, listing.kind)
}

export interface ClistResult {
  readonly rows: ReadonlyArray<{ readonly row: ClistRow; readonly instrument: Instrument }>
  /** Listings the server said the groups hold, served or not. */
  readonly expected: number
}

/** Every group's rows that are listings this service serves, once each. */
export const clist = (client: HttpClient.HttpClient, base: string, call: CallInfo): Effect.Effect<ClistResult, SourceError> =>
  Effect.gen(function*() {
    const seen = new Map<string, { readonly row: ClistRow; readonly instrument: Instrument }>()
    let expected = 0
    for (const group of clistGroups) {
      const { rows, total } = yield* groupRows(client, base, { ...call, symbol: group.name }, group.fs)
      expected += total
      for (const row of rows) {
        const instrument = instrumentOfRow(row)
        if (instrument !== undefined && !seen.has(instrument.symbol)) seen.set(instrument.symbol, { row, instrument })
      }
    }
    if (seen.size === 0 && expected > 0) return yield* badResponse(call, `the list said ${expected} listings but held none this service serves`)
    return { rows: [...seen.values()], expected }
  })

/** A row's quote; undefined when it has no previous close (no figures to speak of yet). */
export const clistQuote = (row: ClistRow, instrument: Instrument, fetchedAt: number): Quote | undefined => {
  const prevClose = num(row.f18)
  if (prevClose === undefined || prevClose <= 0) return undefined
  const price = num(row.f2) ?? 0
  const ts = num(row.f124)
  return cnQuote({
    symbol: makeSymbol(instrument.code, instrument.exchange),
    name: instrument.name,
    price,
    prevClose,
    open: num(row.f17) ?? price,
    high: num(row.f15) ?? price,
    low: num(row.f16) ?? price,
    volume: (num(row.f5) ?? 0) * 100,
    amount: num(row.f6) ?? 0,
    ts: ts === undefined ? fetchedAt : ts * 1000
  })
}

/** The whole list as quotes. */
export const clistSnapshot = (client: HttpClient.HttpClient, base: string, call: CallInfo) =>
  Effect.gen(function*() {
    const { expected, rows } = yield* clist(client, base, call)
    const now = yield* Clock.currentTimeMillis
    return { quotes: rows.flatMap(({ instrument, row }) => clistQuote(row, instrument, now) ?? []), expected }
  })
