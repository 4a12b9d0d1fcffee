import type { CalendarRules } from "./ExchangeCalendar.ts"

/**
 * Beyond the recorded SSE/SZSE table the only rule that holds every year is
 * "weekdays trade": the exchanges publish each year's closures in December.
 * Add them through `ExchangeCalendar.withExtraClosures` (the server reads
 * `CN_EXTRA_CLOSURES`), see docs/calendar.md.
 */
export const chinaRules: CalendarRules = {
  isClosed: () => false,
  earlyClose: () => undefined
}
