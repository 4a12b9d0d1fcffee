import { type DayNumber, fromDayNumber, toDayNumber } from "@marketgate/domain/CalendarDate"
import type { ExchangeCalendar } from "@marketgate/domain/calendar/ExchangeCalendar"
import { dailyLimitOf, type Instrument } from "@marketgate/domain/Instrument"
import type { SourceDailyBar } from "../MarketDataSource.ts"
import { normal, stringId, uniform } from "./DeterministicRandom.ts"

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

interface Params {
  readonly id: number
  readonly startPrice: number
  readonly drift: number
  readonly vol: number
  readonly baseVolume: number
  readonly limit: number | undefined
  readonly suspendRate: number
  readonly lotSize: number
}

const paramsOf = (seed: number, instrument: Instrument): Params => {
  const id = stringId(instrument.symbol)
  const cn = instrument.market === "CN"
  const u = (stream: number) => uniform(seed, id, -1, stream)
  return {
    id,
    startPrice: round2((cn ? 12 : 30) * Math.exp(0.8 * normal(seed, id, -2, 0))) + 1,
    drift: Math.max(-0.0001, 0.0003 + 0.0003 * normal(seed, id, -3, 0)),
    vol: (cn ? 0.015 : 0.01) + u(1) * 0.02,
    baseVolume: (cn ? 8e6 : 5e6) * Math.exp(0.9 * normal(seed, id, -4, 0)),
    limit: dailyLimitOf(instrument.board),
    suspendRate: cn ? 0.0015 : 0.0002,
    lotSize: instrument.lot_size
  }
}

export interface DayState {
  readonly day: DayNumber
  readonly prevClose: number
  readonly close: number
  readonly suspended: boolean
}

/** One instrument's daily closes, generated forward from listing and extended on demand. */
export class PricePath {
  readonly instrument: Instrument
  private readonly p: Params
  private readonly seed: number
  private readonly calendar: ExchangeCalendar
  private readonly firstDay: DayNumber
  // Typed arrays keep a 30-year path near 150 kB: closes and flags by session
  // number k, and the session number of each calendar day since listing.
  private closes = new Float64Array(1024)
  private suspended = new Uint8Array(1024)
  private sessionIndex = new Int32Array(1024).fill(-1)
  private count = 0
  private lastDay: DayNumber
  private suspendLeft = 0

  constructor(seed: number, instrument: Instrument, calendar: ExchangeCalendar) {
    this.seed = seed
    this.instrument = instrument
    this.calendar = calendar
    this.p = paramsOf(seed, instrument)
    this.firstDay = calendar.sessionOnOrAfter(toDayNumber(instrument.listed_date)) ?? toDayNumber(instrument.listed_date)
    this.lastDay = this.firstDay - 1
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

  private grow(): void {
    const closes = new Float64Array(this.closes.length * 2)
    closes.set(this.closes)
    this.closes = closes
    const suspended = new Uint8Array(this.suspended.length * 2)
    suspended.set(this.suspended)
    this.suspended = suspended
  }

  private growIndex(offset: number): void {
    const index = new Int32Array(Math.max(offset + 1, this.sessionIndex.length * 2)).fill(-1)
    index.set(this.sessionIndex)
    this.sessionIndex = index
  }

  private extendTo(day: DayNumber): void {
    if (day <= this.lastDay) return
    const { drift, id, startPrice, suspendRate, vol } = this.p
    const seed = this.seed
    const logStart = Math.log(startPrice)
    if (day - this.firstDay >= this.sessionIndex.length) this.growIndex(day - this.firstDay)
    for (let d = this.lastDay + 1; d <= day; d++) {
      if (!this.calendar.isSessionDay(d)) continue
      const k = this.count
      if (k >= this.closes.length) this.grow()
      const prev = k === 0 ? startPrice : this.closes[k - 1]!
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
        const trend = logStart + drift * k
        const r = drift + vol * jump * normal(seed, id, d, S_RETURN) + 0.003 * (trend - Math.log(prev))
        close = this.clamp(Math.max(0.5, round2(prev * Math.exp(r))), prev)
      }
      this.sessionIndex[d - this.firstDay] = k
      this.closes[k] = close
      this.suspended[k] = suspended ? 1 : 0
      this.count++
    }
    this.lastDay = day
  }

  /** The state of a session day, or undefined before listing / on a non-session. */
  state(day: DayNumber): DayState | undefined {
    if (day < this.firstDay) return undefined
    this.extendTo(day)
    const k = this.sessionIndex[day - this.firstDay]!
    if (k < 0) return undefined
    const prevClose = k === 0 ? this.p.startPrice : this.closes[k - 1]!
    return { day, prevClose, close: this.closes[k]!, suspended: this.suspended[k] === 1 }
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
      amount: round2((volume * (open + high + low + close)) / 4)
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
