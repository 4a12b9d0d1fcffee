import { Schema } from "effect"

/**
 * Errors a REST consumer can see. Each carries a sentence the person reading
 * it can act on; the envelope puts it in `msg` and the status in `code`.
 */

export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()(
  "InvalidRequest",
  { message: Schema.String },
  { httpApiStatus: 400 }
) {}

export class UnknownSymbol extends Schema.TaggedError<UnknownSymbol>()(
  "UnknownSymbol",
  { symbol: Schema.String, message: Schema.String },
  { httpApiStatus: 404 }
) {
  static of(symbol: string) {
    return new UnknownSymbol({
      symbol,
      message: `unknown symbol '${symbol}'; list known symbols with GET /v1/instruments?q=`
    })
  }
}

/** The symbol is known, but no provider has data for it (in that range): asking again will not help soon. */
export class NoData extends Schema.TaggedError<NoData>()(
  "NoData",
  { message: Schema.String },
  { httpApiStatus: 404 }
) {}

export class DataUnavailable extends Schema.TaggedError<DataUnavailable>()(
  "DataUnavailable",
  { message: Schema.String },
  { httpApiStatus: 503 }
) {}

export class NotReady extends Schema.TaggedError<NotReady>()(
  "NotReady",
  { message: Schema.String, failing: Schema.Array(Schema.String) },
  { httpApiStatus: 503 }
) {}

export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  { message: Schema.String },
  { httpApiStatus: 401 }
) {}

/** The request is valid but clashes with work already going on (a backfill already running). */
export class Conflict extends Schema.TaggedError<Conflict>()(
  "Conflict",
  { message: Schema.String },
  { httpApiStatus: 409 }
) {}
