import { defaultCalendars, type Calendars, calendarOf } from "@marketgate/domain/calendar/Calendars"
import type { ExchangeCalendar } from "@marketgate/domain/calendar/ExchangeCalendar"
import { DateString, fromDayNumber, parseIsoDate } from "@marketgate/domain/CalendarDate"
import type { Exchange } from "@marketgate/domain/Symbol"
import { Config, Context, Effect, Layer, Schema, SchemaGetter } from "effect"

/** `2027-01-01,2027-02-08..2027-02-12` → every listed date, ranges expanded. */
const expand = (spec: string): Array<string> =>
  spec.split(",").map((s) => s.trim()).filter((s) => s.length > 0).flatMap((item) => {
    const [a, b] = item.split("..")
    const from = a === undefined ? undefined : parseIsoDate(a)
    const to = b === undefined ? undefined : parseIsoDate(b)
    // An unparsable item is kept as is, so the date check names it.
    if (b === undefined || from === undefined || to === undefined || to < from) return [item]
    return Array.from({ length: to - from + 1 }, (_, i) => fromDayNumber(from + i))
  })

export const ClosureList = Schema.String.pipe(
  Schema.decodeTo(Schema.Array(DateString), {
    decode: SchemaGetter.transform(expand),
    encode: SchemaGetter.transform((dates: ReadonlyArray<string>) => dates.join(","))
  })
)

/**
 * The exchange calendars in use. The shipped tables end on a fixed date; past
 * it China only knows "weekdays trade", so operators add each year's announced
 * closures with `CN_EXTRA_CLOSURES` (see docs/calendar.md).
 */
export class TradingCalendars extends Context.Service<TradingCalendars, {
  readonly calendars: Calendars
  readonly of: (exchange: Exchange) => ExchangeCalendar
}>()("@marketgate/server/Calendar/TradingCalendars") {
  static readonly make = (calendars: Calendars) =>
    TradingCalendars.of({ calendars, of: (exchange) => calendarOf(calendars, exchange) })

  static readonly layer = Layer.succeed(TradingCalendars, TradingCalendars.make(defaultCalendars))

  static readonly layerConfig = Layer.effect(
    TradingCalendars,
    Effect.gen(function*() {
      const closures = yield* Config.schema(ClosureList, "CN_EXTRA_CLOSURES").pipe(Config.withDefault([]))
      return TradingCalendars.make({ ...defaultCalendars, CN: defaultCalendars.CN.withExtraClosures(closures) })
    })
  )
}
