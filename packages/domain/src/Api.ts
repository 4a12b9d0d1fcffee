import { Schema, SchemaGetter } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { Conflict, DataUnavailable, InvalidRequest, NoData, NotReady, Unauthorized, UnknownSymbol } from "./ApiErrors.ts"
import { AccountsGroup, Authentication, AuthGroup, OAuthGroup, RequiredRole } from "./AuthApi.ts"
import { Forbidden } from "./AuthErrors.ts"
import { BarSeries } from "./Bar.ts"
import { DateString } from "./CalendarDate.ts"
import { envelopeOpenApi } from "./EnvelopeOpenApi.ts"
import { IndicatorName, IndicatorSeries } from "./Indicator.ts"
import { Instrument, InstrumentKind, InstrumentPage } from "./Instrument.ts"
import { Adjust, Interval } from "./Interval.ts"
import { BackfillAccepted, BackfillRequest, JobsPage } from "./Jobs.ts"
import { BarLineage } from "./Lineage.ts"
import { MarketOverview } from "./MarketOverview.ts"
import { MoneyFlowRanking } from "./MoneyFlow.ts"
import { QuoteList } from "./Quote.ts"
import { QuoteStreamEvent, TooManyStreams } from "./QuoteStream.ts"
import { SourceList } from "./SourceHealth.ts"
import { Market, Symbol } from "./Symbol.ts"
import { Watchlist, WatchlistReplace } from "./Watchlist.ts"

export const MAX_QUOTE_SYMBOLS = 100
export const MAX_BARS = 5000

const intBetween = (name: string, minimum: number, maximum: number) =>
  Schema.NumberFromString.check(
    Schema.makeFilter(
      (n: number) =>
        (Number.isInteger(n) && n >= minimum && n <= maximum) ||
        `${name} must be a whole number from ${minimum} to ${maximum}`
    )
  )

/** `A,B,C` → symbols, each checked; 1 to 100 of them. */
export const SymbolList = Schema.String.pipe(
  Schema.decodeTo(Schema.Array(Symbol), {
    decode: SchemaGetter.transform((s: string) => s.split(",").map((x) => x.trim()).filter((x) => x.length > 0)),
    encode: SchemaGetter.transform((xs: ReadonlyArray<string>) => xs.join(","))
  }),
  Schema.check(
    Schema.makeFilter((xs: ReadonlyArray<string>) =>
      (xs.length >= 1 && xs.length <= MAX_QUOTE_SYMBOLS) ||
      `symbols must list 1 to ${MAX_QUOTE_SYMBOLS} symbols separated by commas, got ${xs.length}`
    )
  )
).annotate({ description: `comma-separated symbols, at most ${MAX_QUOTE_SYMBOLS}, e.g. 600519.SH,AAPL.US` })

const Query = Schema.String.check(
  Schema.makeFilter((s: string) => s.length <= 64 || "q must be at most 64 characters")
)

export class InstrumentsGroup extends HttpApiGroup.make("instruments")
  .add(
    HttpApiEndpoint.get("list", "/instruments", {
      query: {
        market: Schema.optionalKey(Market),
        kind: Schema.optionalKey(InstrumentKind),
        q: Schema.optionalKey(Query.annotate({
          description: "code prefix, name substring, pinyin initials or full pinyin (gzmt, guizhoumaotai → 贵州茅台), English names; ranked by relevance"
        })),
        limit: Schema.optionalKey(intBetween("limit", 1, 1000).annotate({ description: "default 100" })),
        offset: Schema.optionalKey(intBetween("offset", 0, 1_000_000).annotate({ description: "default 0" }))
      },
      success: InstrumentPage,
      error: InvalidRequest
    }).annotate(OpenApi.Summary, "List or search instruments"),
    HttpApiEndpoint.get("get", "/instruments/:symbol", {
      params: { symbol: Symbol },
      success: Instrument,
      error: [UnknownSymbol, DataUnavailable]
    }).annotate(OpenApi.Summary, "One instrument")
  )
  .middleware(Authentication)
  .annotate(RequiredRole, "viewer")
  .prefix("/v1")
{}

export class QuotesGroup extends HttpApiGroup.make("quotes")
  .add(
    HttpApiEndpoint.get("list", "/quotes", {
      query: { symbols: SymbolList },
      success: QuoteList,
      error: [InvalidRequest, NoData, DataUnavailable]
    }).annotate(
      OpenApi.Summary,
      "Latest quote per symbol; symbols without one are listed in `missing` with a reason (404 only when none has a quote, 503 only when providers failed)"
    )
  )
  .middleware(Authentication)
  .annotate(RequiredRole, "viewer")
  .prefix("/v1")
{}

export class StreamGroup extends HttpApiGroup.make("stream")
  .add(
    HttpApiEndpoint.get("quotes", "/stream/quotes", {
      query: { symbols: SymbolList },
      success: HttpApiSchema.StreamSse({ events: QuoteStreamEvent }),
      error: [InvalidRequest, NoData, DataUnavailable, TooManyStreams]
    }).annotate(
      OpenApi.Summary,
      "Live quotes as server-sent events: a quote event per change, heartbeats, an end event on shutdown"
    )
  )
  .middleware(Authentication)
  .annotate(RequiredRole, "viewer")
  .prefix("/v1")
{}

export const MAX_BATCH_SYMBOLS = 200

/** Symbols are checked one by one in the answer, so one bad symbol fails only its own entry. */
export const BarsBatchRequest = Schema.Struct({
  symbols: Schema.Array(Schema.String).check(
    Schema.makeFilter((xs: ReadonlyArray<string>) =>
      (xs.length >= 1 && xs.length <= MAX_BATCH_SYMBOLS) ||
      `symbols must list 1 to ${MAX_BATCH_SYMBOLS} symbols, got ${xs.length}`
    )
  ),
  interval: Schema.optionalKey(Interval),
  from: Schema.optionalKey(DateString),
  to: Schema.optionalKey(DateString),
  adjust: Schema.optionalKey(Adjust)
}).annotate({ identifier: "BarsBatchRequest" })

export const BarsBatchResult = Schema.Union([
  Schema.Struct({ symbol: Schema.String, ok: Schema.Literal(true), data: BarSeries }),
  Schema.Struct({
    symbol: Schema.String,
    ok: Schema.Literal(false),
    error: Schema.Struct({ code: Schema.Int, msg: Schema.String })
  })
]).annotate({ identifier: "BarsBatchResult" })

export const BarsBatch = Schema.Struct({ results: Schema.Array(BarsBatchResult) }).annotate({ identifier: "BarsBatch" })

export class BarsGroup extends HttpApiGroup.make("bars")
  .add(
    HttpApiEndpoint.get("get", "/bars/:symbol", {
      params: { symbol: Symbol },
      query: {
        interval: Schema.optionalKey(Interval.annotate({ description: "default 1d" })),
        from: Schema.optionalKey(DateString.annotate({ description: "first date, default one year before `to`" })),
        to: Schema.optionalKey(DateString.annotate({ description: "last date, default today" })),
        adjust: Schema.optionalKey(Adjust.annotate({ description: "default none" }))
      },
      success: BarSeries,
      error: [InvalidRequest, UnknownSymbol, NoData, DataUnavailable]
    }).annotate(OpenApi.Summary, "K-line bars of one symbol"),
    HttpApiEndpoint.post("batch", "/bars/batch", {
      payload: BarsBatchRequest,
      success: BarsBatch,
      error: InvalidRequest
    })
      .annotate(OpenApi.Summary, `Bars of up to ${MAX_BATCH_SYMBOLS} symbols; each symbol's failure stays in its own entry`)
      .annotate(RequiredRole, "analyst")
  )
  .middleware(Authentication)
  .annotate(RequiredRole, "viewer")
  .prefix("/v1")
{}

export class IndicatorsGroup extends HttpApiGroup.make("indicators")
  .add(
    HttpApiEndpoint.get("get", "/indicators/:symbol", {
      params: { symbol: Symbol },
      query: {
        name: IndicatorName,
        period: Schema.optionalKey(intBetween("period", 2, 250)),
        interval: Schema.optionalKey(Interval),
        from: Schema.optionalKey(DateString),
        to: Schema.optionalKey(DateString),
        adjust: Schema.optionalKey(Adjust)
      },
      success: IndicatorSeries,
      error: [InvalidRequest, UnknownSymbol, NoData, DataUnavailable]
    }).annotate(OpenApi.Summary, "Technical indicator series: sma, ema, macd 12/26/9, rsi (Wilder), boll 20/2")
  )
  .middleware(Authentication)
  .annotate(RequiredRole, "viewer")
  .prefix("/v1")
{}

export class MarketGroup extends HttpApiGroup.make("market")
  .add(
    HttpApiEndpoint.get("overview", "/market/overview", {
      query: { market: Market },
      success: MarketOverview,
      error: [InvalidRequest, DataUnavailable]
    }).annotate(
      OpenApi.Summary,
      "Market overview: index quotes, breadth, limit up/down, turnover, top movers, market status"
    ),
    HttpApiEndpoint.get("moneyflow", "/market/moneyflow", {
      query: {
        market: Market,
        limit: Schema.optionalKey(intBetween("limit", 1, 50).annotate({ description: "default 20" }))
      },
      success: MoneyFlowRanking,
      error: [InvalidRequest, NoData, DataUnavailable]
    }).annotate(
      OpenApi.Summary,
      "Money flow (资金流向), A-shares only: the largest main-force net inflows of the session, largest first (no outflow ranking); 404 in the demo world"
    )
  )
  .middleware(Authentication)
  .annotate(RequiredRole, "viewer")
  .prefix("/v1")
{}

export class SourcesGroup extends HttpApiGroup.make("sources")
  .add(
    HttpApiEndpoint.get("list", "/sources", { success: SourceList }).annotate(
      OpenApi.Summary,
      "Upstream providers: breaker state, latency, error rate, rate limit, priority, cost"
    )
  )
  .middleware(Authentication)
  .annotate(RequiredRole, "viewer")
  .prefix("/v1")
{}

export class LineageGroup extends HttpApiGroup.make("lineage")
  .add(
    HttpApiEndpoint.get("get", "/lineage/:symbol", {
      params: { symbol: Symbol },
      query: { date: DateString },
      success: BarLineage,
      error: [InvalidRequest, UnknownSymbol, NoData, DataUnavailable]
    }).annotate(OpenApi.Summary, "Where a stored daily bar came from: source, fetched_at, ingest run, the checks it passed")
  )
  .middleware(Authentication)
  .annotate(RequiredRole, "analyst")
  .prefix("/v1")
{}

// A watchlist belongs to a person: anonymous callers get 401, API clients 403.
const watchlistErrors = [Unauthorized, Forbidden, DataUnavailable]

export class WatchlistGroup extends HttpApiGroup.make("watchlist")
  .add(
    HttpApiEndpoint.get("get", "/watchlist", { success: Watchlist, error: watchlistErrors })
      .annotate(OpenApi.Summary, "The signed-in person's watchlist, in their order"),
    HttpApiEndpoint.put("replace", "/watchlist", { payload: WatchlistReplace, success: Watchlist, error: [InvalidRequest, ...watchlistErrors] })
      .annotate(OpenApi.Summary, "Replace the whole watchlist (the order given is kept); symbols must be known instruments"),
    HttpApiEndpoint.post("add", "/watchlist/:symbol", { params: { symbol: Symbol }, success: Watchlist, error: [InvalidRequest, UnknownSymbol, ...watchlistErrors] })
      .annotate(OpenApi.Summary, "Add one symbol at the end of the watchlist (already there: unchanged)"),
    HttpApiEndpoint.delete("remove", "/watchlist/:symbol", { params: { symbol: Symbol }, success: Watchlist, error: [InvalidRequest, ...watchlistErrors] })
      .annotate(OpenApi.Summary, "Take one symbol off the watchlist (not there: unchanged)")
  )
  .middleware(Authentication)
  .annotate(RequiredRole, "viewer")
  .prefix("/v1")
{}

export const CacheKindName = Schema.Literals(["quote", "overview", "intraday", "daily", "instruments"])

export const InvalidateRequest = Schema.Struct({
  symbols: Schema.optionalKey(Schema.Array(Symbol).annotate({ description: "drop these symbols' entries; omit for every key" })),
  kinds: Schema.optionalKey(Schema.Array(CacheKindName).annotate({ description: "omit for every kind" }))
}).annotate({ identifier: "InvalidateRequest" })

export const Invalidated = Schema.Struct({
  invalidated: Schema.Array(Schema.Struct({ kind: CacheKindName, prefix: Schema.String }))
}).annotate({ identifier: "Invalidated" })

export class AdminGroup extends HttpApiGroup.make("admin")
  .add(
    HttpApiEndpoint.post("invalidateCache", "/admin/cache/invalidate", {
      payload: InvalidateRequest,
      success: Invalidated,
      error: InvalidRequest
    }).annotate(OpenApi.Summary, "Drop cached entries in every instance (L1 by pub/sub, and L2)"),
    HttpApiEndpoint.get("jobs", "/admin/jobs", {
      query: {
        kind: Schema.optionalKey(
          Schema.String.check(Schema.makeFilter((s: string) => /^[a-z_]{1,32}(:[A-Z]{2})?$/.test(s) || "kind must be a job kind such as backfill or daily_sync:CN"))
        ),
        limit: Schema.optionalKey(intBetween("limit", 1, 500).annotate({ description: "default 50" }))
      },
      success: JobsPage,
      error: [InvalidRequest, DataUnavailable]
    }).annotate(OpenApi.Summary, "Recent job runs (ingest_runs) and the schedule with each job's next run"),
    HttpApiEndpoint.post("backfill", "/admin/backfill", {
      payload: BackfillRequest,
      success: BackfillAccepted.pipe(HttpApiSchema.status(202)),
      error: [InvalidRequest, Conflict, DataUnavailable]
    }).annotate(OpenApi.Summary, "Start a backfill of daily history in the background (409 while one is running)")
  )
  // Operator actions: admins only (docs/security.md).
  .middleware(Authentication)
  .annotate(RequiredRole, "admin")
  .prefix("/v1")
{}

export const Health = Schema.Struct({ status: Schema.Literal("ok") })
export const Readiness = Schema.Struct({
  status: Schema.Literal("ready"),
  checks: Schema.Record(Schema.String, Schema.String)
})

export class SystemGroup extends HttpApiGroup.make("system", { topLevel: true })
  .add(
    HttpApiEndpoint.get("health", "/health", { success: Health }).annotate(
      OpenApi.Summary,
      "Liveness: the process answers"
    ),
    HttpApiEndpoint.get("ready", "/ready", { success: Readiness, error: NotReady }).annotate(
      OpenApi.Summary,
      "Readiness: store reachable and migrated"
    )
  )
{}

export class MarketgateApi extends HttpApi.make("marketgate")
  .add(InstrumentsGroup)
  .add(QuotesGroup)
  .add(StreamGroup)
  .add(BarsGroup)
  .add(IndicatorsGroup)
  .add(MarketGroup)
  .add(SourcesGroup)
  .add(LineageGroup)
  .add(WatchlistGroup)
  .add(AdminGroup)
  .add(AuthGroup)
  .add(AccountsGroup)
  .add(OAuthGroup)
  .add(SystemGroup)
  .annotateMerge(OpenApi.annotations({
    title: "marketgate",
    version: "1",
    description: "Market data for China A-shares (SH, SZ) and US equities. Every /v1 answer is an envelope.",
    transform: envelopeOpenApi
  }))
{}
