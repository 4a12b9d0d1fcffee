import { h } from "./dom.ts"
import { compact, direction, localStamp, percent, price, sessionDate } from "./format.ts"
import { locale, t } from "./i18n.ts"
import type { Bar, Interval } from "./types.ts"
import { isIntraday } from "./types.ts"

const SHOWN = 10

/** The last bars as a table: readable without the chart, and what a printed page lists. */
export const recentBars = (bars: ReadonlyArray<Bar>, interval: Interval, timeZone: string) => {
  const l = locale()
  const intraday = isIntraday(interval)
  const start = Math.max(0, bars.length - SHOWN)
  const rows = bars.slice(start).map((b, i) => ({ b, prev: bars[start + i - 1] })).reverse()
  return h(
    "div",
    { class: "table-scroll", tabindex: 0, role: "region", "aria-labelledby": "recent-caption" },
    h(
      "table",
      { class: "bars" },
      h("caption", { id: "recent-caption" }, t("recentBars")),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, intraday ? t("colTime") : t("colDate")),
          [t("open"), t("high"), t("low"), t("close"), t("colChangePct"), t("volume")].map((x) => h("th", { scope: "col", class: "num" }, x))
        )
      ),
      h(
        "tbody",
        {},
        rows.map(({ b, prev }) => {
          const pct = prev === undefined ? undefined : ((b.close - prev.close) / prev.close) * 100
          return h(
            "tr",
            { "data-date": b.date },
            h("th", { scope: "row" }, intraday && b.ts !== undefined ? localStamp(b.ts, timeZone) : sessionDate(b.date, l)),
            h("td", { class: "num" }, price(b.open, l)),
            h("td", { class: "num" }, price(b.high, l)),
            h("td", { class: "num" }, price(b.low, l)),
            h("td", { class: "num" }, price(b.close, l)),
            h("td", { class: `num ${direction(pct)}` }, percent(pct, l)),
            h("td", { class: "num" }, compact(b.volume, l))
          )
        })
      )
    )
  )
}
