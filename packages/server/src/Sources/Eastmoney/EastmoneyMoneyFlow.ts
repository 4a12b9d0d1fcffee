import type { MoneyFlowEntry } from "@marketgate/domain/MoneyFlow"
import { makeSymbol } from "@marketgate/domain/Symbol"
import { Effect, Schema } from "effect"
import { type HttpClient, HttpClientRequest } from "effect/http"
import { badResponse, type CallInfo, decodeJson, fetchText, notFound } from "../HttpProvider/ProviderHttp.ts"
import type { MoneyFlowTop, SourceError } from "../MarketDataSource.ts"
import { instrumentOfRow, rowsOf } from "./EastmoneyClist.ts"

/**
 * Eastmoney's capital-flow ranking of SH + SZ A-shares (the "沪深A股 今日 资金"
 * table of data.eastmoney.com/zjlx): `api/qt/clist/get` sorted by f62, main-force
 * net inflow, descending (`po=1`). The request is the one the recording
 * `clist-hs-a-fundflow-pn1-2024-08-08.jsonp` was made with: page 1, 50 rows.
 * `po=0` would rank the outflows; that answer has no recording, so it is not asked.
 */

/** The boards of the ranking, as the recorded request names them (`f:!2` as recorded). */
export const MONEY_FLOW_FS = "m:0 t:6 f:!2,m:0 t:13 f:!2,m:0 t:80 f:!2,m:1 t:2 f:!2,m:1 t:23 f:!2"
/** Rows asked for: the recorded page size. */
export const MONEY_FLOW_ROWS = 50
const FIELDS = "f12,f14,f2,f3,f62,f184,f66,f69,f72,f75,f78,f81,f84,f87,f204,f205,f124,f1,f13"

/** "-" (no figure: suspended, not traded) or a number. */
const Figure = Schema.Union([Schema.Finite, Schema.String])

const FlowRow = Schema.Struct({
  f12: Schema.String, // code
  f13: Schema.optionalKey(Schema.Finite), // market: 1 Shanghai, 0 Shenzhen
  f14: Schema.String, // name
  f2: Schema.optionalKey(Figure), // last price
  f3: Schema.optionalKey(Figure), // change, %
  f62: Schema.optionalKey(Figure), // main-force net inflow, CNY
  f184: Schema.optionalKey(Figure), // its share of the amount, %
  f66: Schema.optionalKey(Figure), // super-large net
  f69: Schema.optionalKey(Figure),
  f72: Schema.optionalKey(Figure), // large net
  f75: Schema.optionalKey(Figure),
  f78: Schema.optionalKey(Figure), // medium net
  f81: Schema.optionalKey(Figure),
  f84: Schema.optionalKey(Figure), // small net
  f87: Schema.optionalKey(Figure),
  f124: Schema.optionalKey(Figure) // time of the figures, unix seconds
})
type FlowRow = typeof FlowRow.Type

const FlowResponse = Schema.Struct({
  data: Schema.optionalKey(Schema.NullOr(Schema.Struct({
    total: Schema.Finite,
    diff: Schema.Union([Schema.Array(FlowRow), Schema.Record(Schema.String, FlowRow)])
  })))
})

const num = (x: number | string | undefined) => (typeof x === "number" ? x : null)

/** A row as an entry; undefined for a listing this service does not serve, or one without a main-force figure. */
export const flowEntry = (row: FlowRow): MoneyFlowEntry | undefined => {
  const instrument = instrumentOfRow({ f12: row.f12, f14: row.f14, ...(row.f13 === undefined ? {} : { f13: row.f13 }) })
  const main = num(row.f62)
  if (instrument === undefined || main === null) return undefined
  const ts = num(row.f124)
  return {
    symbol: makeSymbol(instrument.code, instrument.exchange),
    name: instrument.name,
    price: num(row.f2),
    change_pct: num(row.f3),
    main_net: main,
    main_net_pct: num(row.f184),
    super_large_net: num(row.f66),
    super_large_pct: num(row.f69),
    large_net: num(row.f72),
    large_pct: num(row.f75),
    medium_net: num(row.f78),
    medium_pct: num(row.f81),
    small_net: num(row.f84),
    small_pct: num(row.f87),
    ts: ts === null ? null : new Date(ts * 1000).toISOString()
  }
}

/** Page 1 of the ranking: the largest main-force net inflows, largest first. */
export const moneyFlowTop = (client: HttpClient.HttpClient, base: string, call: CallInfo): Effect.Effect<MoneyFlowTop, SourceError> =>
  Effect.gen(function*() {
    const body = yield* fetchText(
      client,
      HttpClientRequest.get(`${base}/api/qt/clist/get`, {
        urlParams: {
          fid: "f62",
          po: "1",
          pz: String(MONEY_FLOW_ROWS),
          pn: "1",
          np: "1",
          fltt: "2",
          invt: "2",
          fs: MONEY_FLOW_FS,
          fields: FIELDS
        },
        acceptJson: true
      }),
      call
    ).pipe(Effect.flatMap(decodeJson(FlowResponse, call)))
    // Eastmoney's answer without data: it has no ranking to give.
    if (body.data == null) return yield* notFound(call, "a money-flow ranking")
    const entries = rowsOf(body.data.diff).flatMap((row) => flowEntry(row) ?? [])
    for (let i = 1; i < entries.length; i++) {
      if (entries[i]!.main_net > entries[i - 1]!.main_net) return yield* badResponse(call, "the ranking is not in descending order of f62")
    }
    return { entries, ranked: body.data.total }
  })
