import { assert, describe, it } from "@effect/vitest"
import { Exit, Schema } from "effect"
import fc from "fast-check"
import {
  DateString,
  dayNumberOf,
  dayNumberOfEpochMs,
  epochMsOfDay,
  fromDayNumber,
  isWeekend,
  monthOf,
  parseIsoDate,
  toDayNumber,
  weekdayOf,
  yearOf
} from "../src/CalendarDate.ts"

// Day numbers of 1000-01-01 … 9999-12-31, the years a YYYY-MM-DD string can hold with a real Date.
const minDay = Date.UTC(1000, 0, 1) / 86_400_000
const maxDay = Date.UTC(9999, 11, 31) / 86_400_000
const anyDay = fc.integer({ min: minDay, max: maxDay })

describe("parseIsoDate", () => {
  it("counts days from 1970-01-01", () => {
    assert.strictEqual(parseIsoDate("1970-01-01"), 0)
    assert.strictEqual(parseIsoDate("1970-01-02"), 1)
    assert.strictEqual(parseIsoDate("1969-12-31"), -1)
    assert.strictEqual(parseIsoDate("2000-03-01"), 11_017) // 30 years incl. 7 leap days + Jan + Feb 2000
  })

  it("accepts leap days only in leap years", () => {
    assert.strictEqual(parseIsoDate("2024-02-29"), parseIsoDate("2024-02-28")! + 1)
    assert.strictEqual(parseIsoDate("2000-02-29"), parseIsoDate("2000-03-01")! - 1) // divisible by 400
    assert.isUndefined(parseIsoDate("2023-02-29"))
    assert.isUndefined(parseIsoDate("1900-02-29")) // divisible by 100, not 400
  })

  it("rejects impossible dates and other shapes", () => {
    for (const s of ["2024-02-30", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00", "2024-01-32",
      "2024-1-05", "24-01-05", "2024/01/05", "2024-01-05T00:00:00Z", " 2024-01-05", "", "yesterday"]) {
      assert.isUndefined(parseIsoDate(s), s)
    }
  })

  it("toDayNumber throws a RangeError on a bad date", () => {
    assert.strictEqual(toDayNumber("2024-02-29"), parseIsoDate("2024-02-29"))
    assert.throws(() => toDayNumber("2024-02-30"), RangeError)
  })

  it("DateString schema applies the same check", () => {
    assert.isTrue(Exit.isSuccess(Schema.decodeUnknownExit(DateString)("2024-02-29")))
    assert.isTrue(Exit.isFailure(Schema.decodeUnknownExit(DateString)("2023-02-29")))
    assert.isTrue(Exit.isFailure(Schema.decodeUnknownExit(DateString)("2024-2-1")))
  })
})

describe("weekday arithmetic", () => {
  it("knows some fixed weekdays", () => {
    assert.strictEqual(weekdayOf(toDayNumber("1970-01-01")), 4) // a Thursday
    assert.strictEqual(weekdayOf(toDayNumber("2024-02-29")), 4) // a Thursday
    assert.strictEqual(weekdayOf(toDayNumber("2026-11-21")), 6) // a Saturday
    assert.strictEqual(weekdayOf(toDayNumber("1969-12-28")), 0) // a Sunday, before the epoch
    assert.isTrue(isWeekend(toDayNumber("2026-11-22")))
    assert.isFalse(isWeekend(toDayNumber("2026-11-23")))
  })

  it("agrees with Date.getUTCDay and repeats every 7 days (property)", () => {
    fc.assert(fc.property(anyDay, fc.integer({ min: -1000, max: 1000 }), (n, k) => {
      const w = weekdayOf(n)
      return w === new Date(n * 86_400_000).getUTCDay() && weekdayOf(n + 7 * k) === w &&
        isWeekend(n) === (w === 0 || w === 6)
    }))
  })

  it("the next day is the next weekday", () => {
    fc.assert(fc.property(anyDay, (n) => weekdayOf(n + 1) === (weekdayOf(n) + 1) % 7))
  })
})

describe("round trips (property)", () => {
  it("fromDayNumber ∘ toDayNumber is the identity on valid dates", () => {
    const date = fc.date({ min: new Date(Date.UTC(1000, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true })
    fc.assert(fc.property(date, (d) => {
      const s = d.toISOString().slice(0, 10)
      return fromDayNumber(toDayNumber(s)) === s
    }))
  })

  it("toDayNumber ∘ fromDayNumber is the identity on day numbers", () => {
    fc.assert(fc.property(anyDay, (n) => toDayNumber(fromDayNumber(n)) === n))
  })

  it("year, month and day rebuild the day number", () => {
    fc.assert(fc.property(anyDay, (n) => {
      const day = Number(fromDayNumber(n).slice(8, 10))
      return dayNumberOf(yearOf(n), monthOf(n), day) === n && Number(fromDayNumber(n).slice(0, 4)) === yearOf(n)
    }))
  })

  it("epoch milliseconds map to the UTC day that contains them", () => {
    fc.assert(fc.property(anyDay, fc.integer({ min: 0, max: 86_399_999 }), (n, ms) => {
      return epochMsOfDay(n) === Date.UTC(yearOf(n), monthOf(n) - 1, Number(fromDayNumber(n).slice(8))) &&
        dayNumberOfEpochMs(epochMsOfDay(n) + ms) === n
    }))
  })
})
