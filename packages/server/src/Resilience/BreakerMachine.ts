/**
 * The circuit breaker as a pure state machine: (state, event, now) → state.
 * The Effect service around it only holds the state in a Ref and reads the
 * Clock, so every rule here is testable without time passing.
 *
 * Closed   → Open      after `consecutiveFailures` failures in a row, or when
 *                      the failure rate over the last `windowSize` outcomes
 *                      (at least `minimumCalls` of them) reaches `failureRate`.
 * Open     → HalfOpen  on the first admission once `retryAt` has passed.
 * HalfOpen → Closed    when a probe succeeds.
 * HalfOpen → Open      when a probe fails (the next opening lasts longer).
 * One probe runs at a time; other calls are rejected while it does.
 * An outcome of a call admitted under an older generation changes nothing.
 */

export interface BreakerSettings {
  readonly consecutiveFailures: number
  readonly failureRate: number
  readonly windowSize: number
  readonly minimumCalls: number
  /** Length of the first opening, ms; each further opening in a row doubles it … */
  readonly openMs: number
  /** … up to this, ms. A provider's Retry-After can lengthen an opening up to `maxOpenMs` too. */
  readonly maxOpenMs: number
}

export type BreakerState =
  | {
    readonly _tag: "Closed"
    readonly generation: number
    readonly consecutive: number
    /** The last outcomes, oldest first; true = failure. */
    readonly window: ReadonlyArray<boolean>
  }
  | {
    readonly _tag: "Open"
    readonly generation: number
    readonly retryAt: number
    /** Openings in a row without a successful probe between them. */
    readonly openings: number
  }
  | {
    readonly _tag: "HalfOpen"
    readonly generation: number
    /** Whether the one probe is in flight. */
    readonly probing: boolean
    readonly openings: number
  }

export type StateName = BreakerState["_tag"]

export interface Transition {
  readonly from: StateName
  readonly to: StateName
}

export const initial: BreakerState = { _tag: "Closed", generation: 0, consecutive: 0, window: [] }

export type Admission =
  | { readonly admitted: true; readonly probe: boolean; readonly generation: number }
  | { readonly admitted: false; readonly retryAfterMs: number }

/**
 * A Redis fails fast: three errors in a row (or half of the last 20) open the
 * breaker for 1 s, doubling up to 30 s. The cache tier and auth's Redis use it.
 */
export const redisBreakerSettings: BreakerSettings = {
  consecutiveFailures: 3,
  failureRate: 0.5,
  windowSize: 20,
  minimumCalls: 10,
  openMs: 1_000,
  maxOpenMs: 30_000
}

/** The length of the n-th opening in a row (n ≥ 1), before any Retry-After. */
export const openDuration = (settings: BreakerSettings, n: number): number =>
  Math.min(settings.maxOpenMs, settings.openMs * 2 ** Math.max(0, n - 1))

const open = (
  settings: BreakerSettings,
  state: BreakerState,
  openings: number,
  now: number,
  retryAfterMs: number | undefined
): BreakerState => ({
  _tag: "Open",
  generation: state.generation + 1,
  openings,
  retryAt: now + Math.max(openDuration(settings, openings), Math.min(retryAfterMs ?? 0, settings.maxOpenMs))
})

/** May a call run now? A call admitted in HalfOpen is a probe. */
export const admit = (
  state: BreakerState,
  now: number
): readonly [Admission, BreakerState, Transition | undefined] => {
  switch (state._tag) {
    case "Closed":
      return [{ admitted: true, probe: false, generation: state.generation }, state, undefined]
    case "Open": {
      if (now < state.retryAt) return [{ admitted: false, retryAfterMs: state.retryAt - now }, state, undefined]
      const next: BreakerState = { _tag: "HalfOpen", generation: state.generation + 1, probing: true, openings: state.openings }
      return [{ admitted: true, probe: true, generation: next.generation }, next, { from: "Open", to: "HalfOpen" }]
    }
    case "HalfOpen": {
      if (state.probing) return [{ admitted: false, retryAfterMs: 0 }, state, undefined]
      return [{ admitted: true, probe: true, generation: state.generation }, { ...state, probing: true }, undefined]
    }
  }
}

/**
 * What happened to an admitted call. `ignored`: it says nothing about the
 * provider's health (interrupted, unknown symbol, throttled by us).
 */
export type Outcome =
  | { readonly _tag: "Success" }
  | { readonly _tag: "Failure"; readonly retryAfterMs?: number | undefined }
  | { readonly _tag: "Ignored" }

export const record = (
  settings: BreakerSettings,
  state: BreakerState,
  admission: { readonly probe: boolean; readonly generation: number },
  outcome: Outcome,
  now: number
): readonly [BreakerState, Transition | undefined] => {
  if (admission.generation !== state.generation) return [state, undefined]
  switch (state._tag) {
    case "Closed": {
      if (outcome._tag === "Ignored") return [state, undefined]
      const failed = outcome._tag === "Failure"
      // A success in a full window of successes changes nothing: keep the state (and allocate nothing).
      if (!failed && state.consecutive === 0 && state.window.length === settings.windowSize && !state.window.includes(true)) {
        return [state, undefined]
      }
      const window = [...state.window, failed].slice(-settings.windowSize)
      const consecutive = failed ? state.consecutive + 1 : 0
      const failures = window.filter((f) => f).length
      const tripped = consecutive >= settings.consecutiveFailures ||
        (window.length >= settings.minimumCalls && failures / window.length >= settings.failureRate)
      if (failed && tripped) {
        return [open(settings, state, 1, now, outcome.retryAfterMs), { from: "Closed", to: "Open" }]
      }
      return [{ ...state, consecutive, window }, undefined]
    }
    case "HalfOpen": {
      if (!admission.probe) return [state, undefined]
      if (outcome._tag === "Ignored") return [{ ...state, probing: false }, undefined]
      if (outcome._tag === "Success") {
        return [{ _tag: "Closed", generation: state.generation + 1, consecutive: 0, window: [] }, {
          from: "HalfOpen",
          to: "Closed"
        }]
      }
      return [open(settings, state, state.openings + 1, now, outcome.retryAfterMs), { from: "HalfOpen", to: "Open" }]
    }
    case "Open":
      return [state, undefined]
  }
}

/** The state as `datasource_breaker_state` reports it: 0 closed, 1 half-open, 2 open. */
export const gaugeValue = (name: StateName): number => (name === "Closed" ? 0 : name === "HalfOpen" ? 1 : 2)
