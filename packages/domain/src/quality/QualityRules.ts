import type { Ohlcv } from "../Bar.ts"
import { ohlcViolation } from "../BarChecks.ts"

/**
 * Named data-quality rules every provider bar must pass before it is stored.
 * A bar that fails one is quarantined (never served) and another provider is
 * asked for it.
 */
export type QualityRule =
  | "ohlc"
  | "out_of_calendar"
  | "duplicate_date"
  | "zero_volume"
  | "daily_limit"
  | "price_jump"
  | "stale_repeat"

export const qualityRules: ReadonlyArray<QualityRule> = [
  "ohlc",
  "out_of_calendar",
  "duplicate_date",
  "zero_volume",
  "daily_limit",
  "price_jump",
  "stale_repeat"
]

export interface DatedBar extends Ohlcv {
  readonly date: string
}

export interface QualitySettings {
  /** A move larger than this many standard deviations of recent daily returns is suspicious … */
  readonly jumpSigmas: number
  /** … if it is also larger than this (log return): quiet series do not cry wolf. */
  readonly minJump: number
  /** Returns needed before the jump rule applies. */
  readonly minHistory: number
  /** Identical bars in a row (the bar and this many before it) that mean a stale feed. */
  readonly staleRepeats: number
}

export const defaultQualitySettings: QualitySettings = { jumpSigmas: 8, minJump: 0.2, minHistory: 20, staleRepeats: 3 }

export interface QualityContext {
  /** The board's daily price limit (0.1 = ±10 %), undefined where there is none. */
  readonly limit: number | undefined
  readonly isSession: (date: string) => boolean
  /** The session before `date`: limits and jumps compare consecutive sessions only. */
  readonly previousSession: (date: string) => string | undefined
  /** A corporate action takes effect that day: limits and jumps are measured from a new base. */
  readonly hasActionOn: (date: string) => boolean
  readonly settings: QualitySettings
}

export interface Violation {
  readonly rule: QualityRule
  readonly detail: string
}

const round2 = (x: number) => Math.round(x * 100) / 100
const sameBar = (a: Ohlcv, b: Ohlcv) =>
  a.open === b.open && a.high === b.high && a.low === b.low && a.close === b.close && a.volume === b.volume

/**
 * The first rule `bar` breaks, given the traded bars before it (ascending,
 * most recent last) and the dates already seen in the same answer.
 */
export const violationOf = (
  bar: DatedBar,
  previous: ReadonlyArray<DatedBar>,
  seen: ReadonlySet<string>,
  ctx: QualityContext
): Violation | undefined => judge(bar, previous, previous, seen, ctx)

/**
 * `previous` are the bars a move is measured from (stored or accepted);
 * `sent` are the bars before it a stale feed repeats: those, plus the
 * candidates already rejected as stale repeats of them.
 */
const judge = (
  bar: DatedBar,
  previous: ReadonlyArray<DatedBar>,
  sent: ReadonlyArray<DatedBar>,
  seen: ReadonlySet<string>,
  ctx: QualityContext
): Violation | undefined => {
  const ohlc = ohlcViolation(bar)
  if (ohlc !== undefined) return { rule: "ohlc", detail: ohlc }
  if (!ctx.isSession(bar.date)) return { rule: "out_of_calendar", detail: `${bar.date} is not a session of the exchange` }
  if (seen.has(bar.date)) return { rule: "duplicate_date", detail: `${bar.date} appears more than once in the answer` }
  if (bar.volume === 0) return { rule: "zero_volume", detail: "volume is 0 on a session the instrument traded" }
  // Only the bar of the immediately preceding session is a base to measure a move from.
  const last = previous[previous.length - 1]
  const prev = last !== undefined && last.date === ctx.previousSession(bar.date) ? last : undefined
  const excused = ctx.hasActionOn(bar.date)
  // New listings trade without limits for their first sessions.
  const limit = prev !== undefined && !excused && previous.length >= 5 ? ctx.limit : undefined
  if (prev !== undefined && limit !== undefined) {
    const up = round2(prev.close * (1 + limit)) + 0.01
    const down = round2(prev.close * (1 - limit)) - 0.01
    if (bar.high > up || bar.low < down) {
      return {
        rule: "daily_limit",
        detail: `range ${bar.low}–${bar.high} leaves the ±${limit * 100} % band ${round2(down + 0.01)}–${round2(up - 0.01)} around the previous close ${prev.close}`
      }
    }
  }
  // Inside its exchange's band a move is a legal one: the limit is the exact check
  // there. (A ChiNext limit-down, log 0.8 = −22 %, would otherwise trip a 20 %
  // jump on any quiet stock, while the +20 % limit-up, +18 %, never could.)
  if (prev !== undefined && !excused && limit === undefined) {
    const returns: Array<number> = []
    const window = previous.slice(-61)
    for (let i = 1; i < window.length; i++) {
      const date = window[i]!.date
      // The "return" into a corporate action is a change of base, not a move: a
      // 4:1 split would otherwise inflate σ enough to blind the rule for 60 sessions.
      if (window[i - 1]!.date === ctx.previousSession(date) && !ctx.hasActionOn(date)) {
        returns.push(Math.log(window[i]!.close / window[i - 1]!.close))
      }
    }
    if (returns.length < ctx.settings.minHistory) return staleRepeat(bar, sent, ctx)
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length
    const sd = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / returns.length)
    const jump = Math.abs(Math.log(bar.close / prev.close))
    if (jump > ctx.settings.minJump && jump > ctx.settings.jumpSigmas * sd) {
      return {
        rule: "price_jump",
        detail: `close moved ${(jump * 100).toFixed(1)} % (log) against a recent daily σ of ${(sd * 100).toFixed(2)} %, with no corporate action`
      }
    }
  }
  return staleRepeat(bar, sent, ctx)
}

/** The same bar on the sessions just before it: a feed that stopped updating. */
const staleRepeat = (bar: DatedBar, previous: ReadonlyArray<DatedBar>, ctx: QualityContext): Violation | undefined => {
  const run = previous.slice(-ctx.settings.staleRepeats)
  let expected = ctx.previousSession(bar.date)
  for (let i = run.length - 1; i >= 0; i--) {
    if (run[i]!.date !== expected) return undefined
    expected = ctx.previousSession(run[i]!.date)
  }
  if (run.length === ctx.settings.staleRepeats && run.every((p) => sameBar(p, bar))) {
    return { rule: "stale_repeat", detail: `the same bar repeats ${ctx.settings.staleRepeats + 1} sessions in a row: a stale feed` }
  }
  return undefined
}

export interface Validated<B extends DatedBar> {
  readonly accepted: ReadonlyArray<B>
  readonly rejected: ReadonlyArray<{ readonly bar: B; readonly violation: Violation }>
}

/**
 * Checks a provider's answer in date order; each accepted bar becomes history
 * for the next. `history` is what the store already holds (traded bars, any
 * dates): a candidate is judged against the bars before it, stored or accepted.
 */
export const validateBars = <B extends DatedBar>(
  bars: ReadonlyArray<B>,
  history: ReadonlyArray<DatedBar>,
  ctx: QualityContext
): Validated<B> => {
  const byDate = (a: DatedBar, b: DatedBar) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0)
  // One pass over both, in date order; a stored bar sorts before a candidate of the same date.
  const events = [
    ...history.map((bar) => ({ bar, candidate: false })),
    ...bars.map((bar) => ({ bar, candidate: true }))
  ].sort((a, b) => byDate(a.bar, b.bar) || (a.candidate === b.candidate ? 0 : a.candidate ? 1 : -1))
  const window: Array<DatedBar> = []
  // What the feed said, for the stale rule: a bar rejected as a stale repeat is
  // no base to measure from, but the next identical bar is just as stale.
  const sent: Array<DatedBar> = []
  const seen = new Set<string>()
  const accepted: Array<B> = []
  const rejected: Array<{ bar: B; violation: Violation }> = []
  const push = (into: Array<DatedBar>, bar: DatedBar) => {
    into.push(bar)
    if (into.length > 61) into.shift()
  }
  const remember = (bar: DatedBar) => {
    push(window, bar)
    push(sent, bar)
  }
  for (const { bar, candidate } of events) {
    if (!candidate) {
      remember(bar)
      continue
    }
    const violation = judge(bar, window, sent, seen, ctx)
    seen.add(bar.date)
    if (violation === undefined) {
      accepted.push(bar as B)
      remember(bar)
    } else {
      rejected.push({ bar: bar as B, violation })
      if (violation.rule === "stale_repeat") push(sent, bar)
    }
  }
  return { accepted, rejected }
}
