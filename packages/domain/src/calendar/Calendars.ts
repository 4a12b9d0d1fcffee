import type { Exchange } from "../Symbol.ts"
import { chinaRules } from "./ChinaRules.ts"
import xnysTable from "./data/xnys.json" with { type: "json" }
import xshgTable from "./data/xshg.json" with { type: "json" }
import { ExchangeCalendar } from "./ExchangeCalendar.ts"
import { nyseRules } from "./NyseRules.ts"

/** Shanghai and Shenzhen share one calendar: 09:30–11:30, 13:00–15:00 Beijing time. */
export const xshg = new ExchangeCalendar({
  name: "XSHG",
  timeZone: "Asia/Shanghai",
  open: "09:30",
  close: "15:00",
  lunchBreak: { start: "11:30", end: "13:00" },
  table: xshgTable,
  rules: chinaRules,
  firstSession: xshgTable.first
})

/** New York Stock Exchange regular session 09:30–16:00 Eastern time. */
export const xnys = new ExchangeCalendar({
  name: "XNYS",
  timeZone: "America/New_York",
  open: "09:30",
  close: "16:00",
  table: xnysTable,
  rules: nyseRules
})

export interface Calendars {
  readonly CN: ExchangeCalendar
  readonly US: ExchangeCalendar
}

export const defaultCalendars: Calendars = { CN: xshg, US: xnys }

export const calendarOf = (calendars: Calendars, exchange: Exchange): ExchangeCalendar =>
  exchange === "US" ? calendars.US : calendars.CN
