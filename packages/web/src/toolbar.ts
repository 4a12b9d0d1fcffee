import { h } from "./dom.ts"
import { type Key, t } from "./i18n.ts"
import { type Adjust, type Interval, intervals, isIntraday } from "./types.ts"

export type RangeKey = "1D" | "5D" | "1M" | "3M" | "6M" | "1Y" | "3Y" | "5Y" | "10Y" | "20Y"

/** Range presets each interval offers (kept within the API's 5,000 bars). */
export const rangesFor: Record<Interval, ReadonlyArray<RangeKey>> = {
  "1m": ["1D", "5D"],
  "5m": ["1D", "5D", "1M"],
  "15m": ["1D", "5D", "1M"],
  "30m": ["5D", "1M", "3M"],
  "60m": ["5D", "1M", "3M"],
  "1d": ["1M", "3M", "6M", "1Y", "3Y", "5Y", "10Y"],
  "1w": ["1Y", "3Y", "5Y", "10Y", "20Y"],
  "1M": ["5Y", "10Y", "20Y"]
}

export const defaultRange: Record<Interval, RangeKey> = {
  "1m": "1D",
  "5m": "5D",
  "15m": "5D",
  "30m": "1M",
  "60m": "1M",
  "1d": "1Y",
  "1w": "5Y",
  "1M": "20Y"
}

/** Calendar days a range reaches back from its last day. */
export const rangeDays: Record<RangeKey, number> = {
  "1D": 0,
  "5D": 6,
  "1M": 30,
  "3M": 91,
  "6M": 182,
  "1Y": 365,
  "3Y": 1095,
  "5Y": 1826,
  "10Y": 3652,
  "20Y": 7305
}

/** What the chart shows; it lives in the page's address, so a link reopens the same view. */
export interface ChartState {
  readonly interval: Interval
  readonly adjust: Adjust
  readonly range: RangeKey
  readonly boll: boolean
  /** Explicit dates (from a link) win over the range. */
  readonly from?: string | undefined
  readonly to?: string | undefined
}

const isDate = (s: string | null): s is string => s !== null && /^\d{4}-\d{2}-\d{2}$/.test(s)

export const parseState = (search: string): ChartState => {
  const q = new URLSearchParams(search)
  const interval = (intervals as ReadonlyArray<string>).includes(q.get("interval") ?? "") ? (q.get("interval") as Interval) : "1d"
  const adjustRaw = q.get("adjust")
  const adjust: Adjust = !isIntraday(interval) && (adjustRaw === "qfq" || adjustRaw === "hfq") ? adjustRaw : "none"
  const rangeRaw = q.get("range") as RangeKey | null
  const range = rangeRaw !== null && rangesFor[interval].includes(rangeRaw) ? rangeRaw : defaultRange[interval]
  return { interval, adjust, range, boll: q.get("boll") === "1", from: isDate(q.get("from")) ? q.get("from")! : undefined, to: isDate(q.get("to")) ? q.get("to")! : undefined }
}

export const stateQuery = (s: ChartState) => {
  const q = new URLSearchParams({ interval: s.interval, adjust: s.adjust, range: s.range })
  if (s.boll) q.set("boll", "1")
  if (s.from !== undefined) q.set("from", s.from)
  if (s.to !== undefined) q.set("to", s.to)
  return `?${q}`
}

const group = (label: string, name: string, children: ReadonlyArray<HTMLElement>) =>
  h("div", { class: "seg", role: "group", "aria-label": label, "data-group": name }, children)

const toggle = (text: string, pressed: boolean, value: string, onclick: () => void) =>
  h("button", { type: "button", "aria-pressed": String(pressed), "data-value": value, onclick }, text)

/** Interval, adjustment, range and BOLL controls, and the export buttons. */
export const toolbar = (
  state: ChartState,
  change: (next: ChartState) => void,
  actions: { readonly csv: () => void; readonly xlsx: () => void; readonly print: () => void }
) => {
  const intraday = isIntraday(state.interval)
  const adjustSelect = h(
    "select",
    {
      id: "adjust",
      disabled: intraday,
      onchange: (e: Event) => change({ ...state, adjust: (e.target as HTMLSelectElement).value as Adjust, from: undefined, to: undefined })
    },
    (["none", "qfq", "hfq"] as const).map((a) => h("option", { value: a, selected: a === state.adjust }, t(`adj_${a}` as Key)))
  )
  return h(
    "div",
    { class: "toolbar" },
    group(
      t("interval"),
      "interval",
      intervals.map((i) =>
        toggle(t(`iv_${i}` as Key), i === state.interval, i, () =>
          change({ ...state, interval: i, range: defaultRange[i], adjust: isIntraday(i) ? "none" : state.adjust, from: undefined, to: undefined })
        )
      )
    ),
    group(
      t("range"),
      "range",
      rangesFor[state.interval].map((r) =>
        toggle(t(`rg_${r}` as Key), state.from === undefined && r === state.range, r, () => change({ ...state, range: r, from: undefined, to: undefined }))
      )
    ),
    h("div", { class: "field" }, h("label", { for: "adjust" }, t("adjust")), adjustSelect),
    toggle(t("boll"), state.boll, "boll", () => change({ ...state, boll: !state.boll })),
    h(
      "div",
      { class: "seg export", role: "group", "aria-label": t("exportLabel") },
      h("button", { type: "button", "data-export": "csv", onclick: actions.csv }, t("exportCsv")),
      h("button", { type: "button", "data-export": "xlsx", onclick: actions.xlsx }, t("exportXlsx")),
      h("button", { type: "button", "data-export": "print", onclick: actions.print }, t("print"))
    )
  )
}
