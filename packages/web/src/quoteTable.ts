import { h } from "./dom.ts"
import { compact, direction, percent, price } from "./format.ts"
import { locale, t } from "./i18n.ts"
import type { Quote } from "./types.ts"

export const symbolHref = (symbol: string) => `/symbol/${encodeURIComponent(symbol)}`

/** A change, coloured by direction (the colours come from the market's convention). */
export const changeCell = (q: Pick<Quote, "change_pct">) =>
  h("td", { class: `num ${direction(q.change_pct)}`, "data-value": q.change_pct }, percent(q.change_pct, locale()))

/** A list of quotes (top movers): name and code, price, change %, and volume or amount. */
export const quoteTable = (id: string, caption: string, quotes: ReadonlyArray<Quote>, last: "volume" | "amount") =>
  h(
    "div",
    { class: "table-scroll", tabindex: 0, role: "region", "aria-labelledby": `${id}-caption` },
    h(
      "table",
      { id, class: "quotes" },
      h("caption", { id: `${id}-caption` }, caption),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, t("colName")),
          h("th", { scope: "col", class: "num" }, t("colPrice")),
          h("th", { scope: "col", class: "num" }, t("colChangePct")),
          h("th", { scope: "col", class: "num" }, last === "volume" ? t("colVolume") : t("colAmount"))
        )
      ),
      h(
        "tbody",
        {},
        quotes.map((q) =>
          h(
            "tr",
            { "data-symbol": q.symbol },
            h(
              "th",
              { scope: "row" },
              h("a", { href: symbolHref(q.symbol) }, h("span", { class: "q-name" }, q.name), " ", h("span", { class: "q-code" }, q.symbol))
            ),
            h("td", { class: "num", "data-value": q.price }, price(q.price, locale())),
            changeCell(q),
            h("td", { class: "num", "data-value": q[last] }, compact(q[last], locale()))
          )
        )
      )
    )
  )
