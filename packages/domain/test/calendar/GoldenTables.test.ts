import { describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fromDayNumber, isWeekend, toDayNumber, yearOf } from "../../src/CalendarDate.ts"
import { xnys, xshg } from "../../src/calendar/Calendars.ts"
import { ExchangeCalendar } from "../../src/calendar/ExchangeCalendar.ts"
import { nyseRules } from "../../src/calendar/NyseRules.ts"

interface GoldenSession {
  readonly date: string
  readonly open: number
  readonly close: number
  readonly breakStart: number | undefined
  readonly breakEnd: number | undefined
}

const readGolden = (file: string): Array<GoldenSession> =>
  Fs.readFileSync(Path.join(import.meta.dirname, "../fixtures/calendars", file), "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => {
      const [date, open, close, breakStart, breakEnd] = line.split(",")
      return {
        date: date!.slice(0, 10),
        open: Date.parse(open!),
        close: Date.parse(close!),
        breakStart: breakStart ? Date.parse(breakStart) : undefined,
        breakEnd: breakEnd ? Date.parse(breakEnd) : undefined
      }
    })

const goldenXshg = readGolden("xshg.csv")
const goldenXnys = readGolden("xnys.csv")

const expectSameSessions = (calendar: ExchangeCalendar, golden: ReadonlyArray<GoldenSession>) => {
  const first = golden[0]!.date
  const last = golden[golden.length - 1]!.date
  expect(calendar.sessions(first, last)).toEqual(golden.map((s) => s.date))
  for (const s of golden) {
    const times = calendar.sessionTimes(toDayNumber(s.date))
    expect(times, s.date).toEqual(
      s.breakStart === undefined
        ? { date: s.date, open: s.open, close: s.close }
        : { date: s.date, open: s.open, close: s.close, breakStart: s.breakStart, breakEnd: s.breakEnd }
    )
  }
}

describe("compact calendars reproduce the golden tables", () => {
  it("XSHG: every session 1990-12-03 … 2026-12-31 with open, lunch break and close", () => {
    expect(goldenXshg.length).toBe(8809)
    expectSameSessions(xshg, goldenXshg)
  })

  it("XNYS: every session 1990-01-02 … 2023-01-13 with open and (early) close", () => {
    expect(goldenXnys.length).toBe(8324)
    expectSameSessions(xnys, goldenXnys)
  })
})

describe("NYSE rules alone (no table) agree with the golden table", () => {
  // A calendar whose table ends before 1990 answers every golden date from the rules.
  const rulesOnly = new ExchangeCalendar({
    ...xnys.spec,
    table: { first: "1900-01-01", last: "1900-01-01", closures: [], earlyCloses: {} }
  })
  const golden = new Set(goldenXnys.map((s) => s.date))
  const years = [...new Set(goldenXnys.map((s) => yearOf(toDayNumber(s.date))))]

  it.each(years)("holidays and closures of %i", (year) => {
    const first = Math.max(toDayNumber(`${year}-01-01`), toDayNumber(goldenXnys[0]!.date))
    const last = Math.min(toDayNumber(`${year}-12-31`), toDayNumber(goldenXnys.at(-1)!.date))
    const mismatches: Array<string> = []
    for (let d = first; d <= last; d++) {
      if (isWeekend(d)) continue
      if (rulesOnly.isSessionDay(d) !== golden.has(fromDayNumber(d))) mismatches.push(fromDayNumber(d))
    }
    expect(mismatches).toEqual([])
  })

  // Early-close practice settled in 2004 (before it, some years closed early
  // on Dec 26 or July 5 instead); the rules model the current practice.
  it("early closes 2004 … 2022", () => {
    for (const s of goldenXnys) {
      const day = toDayNumber(s.date)
      if (yearOf(day) < 2004) continue
      expect(rulesOnly.sessionTimes(day)?.close, s.date).toBe(s.close)
    }
  })

  it("knows closures after the table ends", () => {
    // Good Friday 2024, Juneteenth 2024, Carter's funeral 2025, Christmas 2026,
    // Juneteenth 2027 observed on Friday.
    for (const date of ["2024-03-29", "2024-06-19", "2025-01-09", "2026-12-25", "2027-06-18"]) {
      expect(xnys.isSession(date), date).toBe(false)
    }
    expect(nyseRules.earlyClose(toDayNumber("2026-11-27"))).toBe("13:00")
    expect(xnys.isSession("2024-07-05")).toBe(true)
  })
})

describe("China beyond the table", () => {
  it("trades weekdays unless a closure is added", () => {
    expect(xshg.isSession("2027-01-01")).toBe(true)
    expect(xshg.isSession("2027-01-02")).toBe(false)
    const withNewYear = xshg.withExtraClosures(["2027-01-01"])
    expect(withNewYear.isSession("2027-01-01")).toBe(false)
    expect(withNewYear.isSession("2026-12-31")).toBe(true)
  })

  it("2024 has 242 Shanghai sessions", () => {
    expect(xshg.countSessions("2024-01-01", "2024-12-31")).toBe(242)
  })
})

describe("session phases", () => {
  it("places instants in the Shanghai session, lunch break and after close", () => {
    const at = (iso: string) => xshg.phaseAt(Date.parse(iso)).phase
    expect(at("2024-03-01T01:00:00Z")).toBe("pre_open") // 09:00 Beijing
    expect(at("2024-03-01T02:00:00Z")).toBe("open") // 10:00
    expect(at("2024-03-01T04:00:00Z")).toBe("lunch_break") // 12:00
    expect(at("2024-03-01T07:30:00Z")).toBe("closed") // 15:30
    expect(fromDayNumber(xshg.lastCompletedSession(Date.parse("2024-03-04T03:00:00Z"))!)).toBe("2024-03-01")
  })

  it("follows US daylight saving time", () => {
    expect(xnys.sessionTimes(toDayNumber("2024-07-01"))?.open).toBe(Date.parse("2024-07-01T13:30:00Z"))
    expect(xnys.sessionTimes(toDayNumber("2024-12-02"))?.open).toBe(Date.parse("2024-12-02T14:30:00Z"))
  })
})
