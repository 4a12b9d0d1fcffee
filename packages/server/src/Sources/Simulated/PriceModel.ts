import { type DayNumber, fromDayNumber, toDayNumber } from "@marketgate/domain/CalendarDate"
import type { ExchangeCalendar } from "@marketgate/domain/calendar/ExchangeCalendar"
import { dailyLimitOf, type Instrument } from "@marketgate/domain/Instrument"
import type { SourceDailyBar } from "../MarketDataSource.ts"
import { normal, stringId, uniform } from "./DeterministicRandom.ts"
import { FullHistory, type PathHistory, RecentHistory } from "./PathHistory.ts"

/**
 * Prices of one simulated instrument: a daily log-random walk with its own
 * drift and volatility, fat-tailed jumps, weak pull towards its long-run trend
 * (so no price wanders to zero), A-share daily limits, and occasional
 * multi-day suspensions. Intraday, a Brownian bridge joins the day's open and
 * close and touches its high and low.
 */

const round2 = (x: number) => Math.round(x * 100) / 100

// Streams: independent random numbers per (seed, instrument, day).
const S_RETURN = 1
const S_JUMP = 2
const S_OPEN = 3
const S_HIGH = 4
const S_LOW = 5
const S_VOLUME = 6
const S_SUSPEND = 7
const S_SUSPEND_LEN = 8
const S_MINUTE = 100

/** Where a well-known listing is steered: its price and typical volume on `date`. */
export interface Level {
  readonly date: string
  readonly price: number
  readonly volume: number
  /** Indices: typical turnover, since an index's amount is not volume × level. */
  readonly turnover?: number | undefined
}

interface Params {
  readonly id: number
  readonly startPrice: number
  /** Amount per (volume × price): 1 for shares; an index's own ratio. */
  readonly amountRatio: number
  readonly drift: number
  readonly vol: number
  readonly baseVolume: number
  readonly limit: number | undefined
  readonly suspendRate: number
  readonly lotSize: number
}

const paramsOf = (seed: number, instrument: Instrument, level: Level | undefined): Params => {
  const id = stringId(instrument.symbol)
  const cn = instrument.market === "CN"
  const index = instrument.kind === "index"
  const u = (stream: number) => uniform(seed, id, -1, stream)
  return {
    id,
    startPrice: round2((cn ? 12 : 30) * Math.exp(0.8 * normal(seed, id, -2, 0))) + 1,
    amountRatio: level?.turnover === undefined ? 1 : level.turnover / (level.volume * level.price),
    drift: Math.max(-0.0001, 0.0003 + 0.0003 * normal(seed, id, -3, 0)),
    // Indices are diversified: about 1 % a day.
    vol: index ? 0.008 + u(1) * 0.004 : (cn ? 0.015 : 0.01) + u(1) * 0.02,
    // The volume model averages about 1.2 × its base.
    baseVolume: level === undefined ? (cn ? 8e6 : 5e6) * Math.exp(0.9 * normal(seed, id, -4, 0)) : level.volume / 1.2,
    limit: dailyLimitOf(instrument.board),
    suspendRate: index ? 0 : cn ? 0.0015 : 0.0002,
    lotSize: instrument.lot_size
  }
}

// Calibrated start prices, by seed and symbol: a path is rebuilt often (LRU), calibrated once.
const calibrated = new Map<string, number>()

export interface DayState {
  readonly day: DayNumber
  readonly prevClose: number
  readonly close: number
  readonly suspended: boolean
}

/** After its level date, a well-known listing is held near its level: a stronger pull, a smaller drift. */
const PULL = 0.003
const STEERED_PULL = 0.02
const STEERED_DRIFT = 0.0002

/** One instrument's daily closes, generated forward from listing and extended on demand. */
export class PricePath {
  readonly instrument: Instrument
  private readonly p: Params
  private readonly seed: number
  private readonly calendar: ExchangeCalendar
  private readonly firstDay: DayNumber
  private readonly history: PathHistory
  private readonly anchorDay: DayNumber | undefined
  private anchor: { readonly k: number; readonly logClose: number } | undefined
  private lastDay: DayNumber
  private suspendLeft = 0

  /**
   * A well-known listing's `level` steers its path: the start price is scaled
   * (up to three times, as rounding to cents is not exactly proportional)
   * until the close of `level.date` is within a cent of `level.price`; the walk
   * is multiplicative, so the path keeps its shape. After that date the path
   * is held near the level. `recentOnly` keeps just the last sessions (a
   * snapshot of the whole market asks only about today).
   */
  constructor(
    seed: number,
    instrument: Instrument,
    calendar: ExchangeCalendar,
    level?: Level,
    options: { readonly startPrice?: number; readonly recentOnly?: boolean } = {}
  ) {
    this.seed = seed
    this.instrument = instrument
    this.calendar = calendar
    const params = paramsOf(seed, instrument, level)
    const listed = toDayNumber(instrument.listed_date ?? "1990-12-19")
    this.firstDay = calendar.sessionOnOrAfter(listed) ?? listed
    this.lastDay = this.firstDay - 1
    this.history = options.recentOnly === true ? new RecentHistory() : new FullHistory(this.firstDay)
    this.anchorDay = level === undefined ? undefined : calendar.sessionOnOrBefore(toDayNumber(level.date))
    const startPrice = options.startPrice ?? (level === undefined ? params.startPrice : this.calibrate(params.startPrice, level))
    this.p = { ...params, startPrice }
  }

  private calibrate(guess: number, level: Level): number {
    const key = `${this.seed}:${this.instrument.symbol}`
    const known = calibrated.get(key)
    if (known !== undefined) return known
    const anchor = this.anchorDay
    let start = guess
    for (let i = 0; i < 3 && anchor !== undefined && anchor >= this.firstDay; i++) {
      const probe = new PricePath(this.seed, this.instrument, this.calendar, undefined, { startPrice: start, recentOnly: true })
      const close = probe.state(anchor)?.close
      if (close === undefined || Math.abs(close - level.price) < 0.01) break
      start = start * (level.price / close)
    }
    calibrated.set(key, start)
    return start
  }

  get listingDay(): DayNumber {
    return this.firstDay
  }

  private limitBand(prev: number): readonly [number, number] {
    const limit = this.p.limit
    if (limit === undefined) return [0.01, Number.POSITIVE_INFINITY]
    return [round2(prev * (1 - limit)), round2(prev * (1 + limit))]
  }

  private clamp(x: number, prev: number): number {
    const [down, up] = this.limitBand(prev)
    return Math.min(up, Math.max(down, x))
  }

  private extendTo(day: DayNumber): void {
    if (day <= this.lastDay) return
    const { drift, id, startPrice, suspendRate, vol } = this.p
    const seed = this.seed
    const logStart = Math.log(startPrice)
    const history = this.history
    for (let d = this.lastDay + 1; d <= day; d++) {
      if (!this.calendar.isSessionDay(d)) continue
      const k = history.count
      const prev = k === 0 ? startPrice : history.close(k - 1)
      let close = prev
      let suspended = false
      if (this.suspendLeft > 0) {
        this.suspendLeft--
        suspended = true
      } else if (k > 0 && uniform(seed, id, d, S_SUSPEND) < suspendRate) {
        this.suspendLeft = Math.floor(uniform(seed, id, d, S_SUSPEND_LEN) * 5)
        suspended = true
      } else {
        const jump = uniform(seed, id, d, S_JUMP) < 0.02 ? 3 : 1
        const anchor = this.anchor
        const trend = anchor === undefined ? logStart + drift * k : anchor.logClose + STEERED_DRIFT * (k - anchor.k)
        const pull = anchor === undefined ? PULL : STEERED_PULL
        const r = drift + vol * jump * normal(seed, id, d, S_RETURN) + pull * (trend - Math.log(prev))
        close = this.clamp(Math.max(0.5, round2(prev * Math.exp(r))), prev)
      }
      history.record(d, close, suspended)
      if (d === this.anchorDay) this.anchor = { k, logClose: Math.log(close) }
    }
    this.lastDay = day
  }

  /** The state of a session day, or undefined before listing / on a non-session. */
  state(day: DayNumber): DayState | undefined {
    if (day < this.firstDay) return undefined
    this.extendTo(day)
    const k = this.history.indexOf(day)
    if (k < 0) return undefined
    const prevClose = k === 0 ? this.p.startPrice : this.history.close(k - 1)
    return { day, prevClose, close: this.history.close(k), suspended: this.history.suspended(k) }
  }

  /** The last session state on or before `day`. */
  stateOnOrBefore(day: DayNumber): DayState | undefined {
    const s = this.calendar.sessionOnOrBefore(day)
    return s === undefined ? undefined : this.state(s)
  }

  /** The full daily bar of a traded session. */
  dailyBar(state: DayState): SourceDailyBar {
    const { id, lotSize, vol } = this.p
    const seed = this.seed
    const d = state.day
    const { close, prevClose } = state
    const open = this.clamp(round2(prevClose * Math.exp(0.35 * vol * normal(seed, id, d, S_OPEN))), prevClose)
    const high = this.clamp(
      round2(Math.max(open, close) * Math.exp(Math.abs(0.6 * vol * normal(seed, id, d, S_HIGH)))),
      prevClose
    )
    const low = this.clamp(
      round2(Math.min(open, close) * Math.exp(-Math.abs(0.6 * vol * normal(seed, id, d, S_LOW)))),
      prevClose
    )
    const move = Math.abs(Math.log(close / prevClose))
    const raw = this.p.baseVolume * Math.exp(0.35 * normal(seed, id, d, S_VOLUME)) * (1 + 10 * move)
    const volume = Math.max(lotSize, Math.round(raw / lotSize) * lotSize)
    return {
      date: fromDayNumber(d),
      open,
      high: Math.max(high, open, close),
      low: Math.min(low, open, close),
      close,
      volume,
      amount: round2((this.p.amountRatio * volume * (open + high + low + close)) / 4)
    }
  }

  /**
   * Prices at each minute boundary of a traded session (`minutes + 1` points,
   * first = open, last = close), staying within and touching [low, high].
   */
  minutePath(bar: SourceDailyBar, day: DayNumber, minutes: number): Array<number> {
    const { id } = this.p
    const seed = this.seed
    const walk: Array<number> = [0]
    for (let i = 0; i < minutes; i++) walk.push(walk[i]! + normal(seed, id, day, S_MINUTE + i))
    const end = walk[minutes]!
    const bridge = walk.map((w, j) => w - (j / minutes) * end)
    const line = (j: number) => bar.open + ((bar.close - bar.open) * j) / minutes
    let up = Number.POSITIVE_INFINITY
    let down = Number.POSITIVE_INFINITY
    bridge.forEach((b, j) => {
      if (b > 0) up = Math.min(up, (bar.high - line(j)) / b)
      if (b < 0) down = Math.min(down, (line(j) - bar.low) / -b)
    })
    return bridge.map((b, j) => round2(line(j) + (b > 0 ? up * b : b < 0 ? down * b : 0)))
  }
}
