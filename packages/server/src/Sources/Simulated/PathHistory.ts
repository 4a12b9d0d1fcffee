import type { DayNumber } from "@marketgate/domain/CalendarDate"

/**
 * Where a price path keeps the sessions it has generated: all of them (bars
 * of any range), or only the last few (a whole-market snapshot, which walks
 * thousands of paths and only ever asks about today).
 */
export interface PathHistory {
  /** Sessions recorded so far. */
  readonly count: number
  record(day: DayNumber, close: number, suspended: boolean): void
  /** Session number of `day`, or -1 when it is not a recorded session (or no longer kept). */
  indexOf(day: DayNumber): number
  close(k: number): number
  suspended(k: number): boolean
}

/** Every session: typed arrays keep a 30-year path near 150 kB. */
export class FullHistory implements PathHistory {
  count = 0
  private readonly firstDay: DayNumber
  private closes = new Float64Array(1024)
  private flags = new Uint8Array(1024)
  // The session number of each calendar day since the first one.
  private sessionIndex = new Int32Array(1024).fill(-1)

  constructor(firstDay: DayNumber) {
    this.firstDay = firstDay
  }

  record(day: DayNumber, close: number, suspended: boolean): void {
    const k = this.count
    if (k >= this.closes.length) {
      const closes = new Float64Array(this.closes.length * 2)
      closes.set(this.closes)
      this.closes = closes
      const flags = new Uint8Array(this.flags.length * 2)
      flags.set(this.flags)
      this.flags = flags
    }
    const offset = day - this.firstDay
    if (offset >= this.sessionIndex.length) {
      const index = new Int32Array(Math.max(offset + 1, this.sessionIndex.length * 2)).fill(-1)
      index.set(this.sessionIndex)
      this.sessionIndex = index
    }
    this.sessionIndex[offset] = k
    this.closes[k] = close
    this.flags[k] = suspended ? 1 : 0
    this.count++
  }

  indexOf(day: DayNumber): number {
    const offset = day - this.firstDay
    return offset < 0 || offset >= this.sessionIndex.length ? -1 : this.sessionIndex[offset]!
  }

  close(k: number): number {
    return this.closes[k]!
  }

  suspended(k: number): boolean {
    return this.flags[k] === 1
  }
}

const RING = 8

/** The last eight sessions only: about 150 bytes a path. */
export class RecentHistory implements PathHistory {
  count = 0
  private readonly days = new Float64Array(RING).fill(Number.NaN)
  private readonly closes = new Float64Array(RING)
  private readonly flags = new Uint8Array(RING)

  record(day: DayNumber, close: number, suspended: boolean): void {
    const slot = this.count % RING
    this.days[slot] = day
    this.closes[slot] = close
    this.flags[slot] = suspended ? 1 : 0
    this.count++
  }

  indexOf(day: DayNumber): number {
    for (let back = 0; back < RING && back < this.count; back++) {
      const k = this.count - 1 - back
      if (this.days[k % RING] === day) return k
    }
    return -1
  }

  close(k: number): number {
    return this.closes[k % RING]!
  }

  suspended(k: number): boolean {
    return this.flags[k % RING] === 1
  }
}
