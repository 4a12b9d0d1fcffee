import { get } from "./api.ts"
import { fill, h } from "./dom.ts"
import { compact, direction, integer, percent, price } from "./format.ts"
import { locale, t } from "./i18n.ts"
import { symbolHref } from "./quoteTable.ts"

/** `GET /v1/market/moneyflow` (docs/api.md). */
interface MoneyFlowEntry {
  readonly symbol: string
  readonly name: string
  readonly price: number | null
  readonly change_pct: number | null
  readonly main_net: number
  readonly main_net_pct: number | null
  readonly super_large_net: number | null
  readonly large_net: number | null
  readonly medium_net: number | null
  readonly small_net: number | null
}
interface MoneyFlowRanking {
  readonly source: string
  readonly ranked: number
  readonly entries: ReadonlyArray<MoneyFlowEntry>
}
interface SourceList {
  readonly sources: ReadonlyArray<{ readonly name: string; readonly operations: ReadonlyArray<string> }>
}

/** Rows shown on the overview. */
export const MONEY_FLOW_ROWS = 10

/**
 * Whether money flow is offered, learnt without a failing request (a 404
 * would log a console error): a provider in /v1/sources lists `moneyFlow`.
 * Otherwise the demo world (its one provider is `simulated`) or a real world
 * without eastmoney, each with its sentence.
 */
const availability = async (): Promise<"offered" | "demo" | "none"> => {
  const { sources } = await get<SourceList>("/v1/sources")
  if (sources.some((s) => s.operations.includes("moneyFlow"))) return "offered"
  return sources.some((s) => s.name === "simulated") ? "demo" : "none"
}

/** A net amount in 万/亿 (zh) or K/M/B (en), red for an inflow and green for an outflow under the CN colours. */
const netCell = (x: number | null) =>
  h("td", { class: `num ${direction(x)}`, "data-value": x }, compact(x, locale()))

const table = (r: MoneyFlowRanking) =>
  h(
    "div",
    { class: "table-scroll", tabindex: 0, role: "region", "aria-labelledby": "money-flow-caption" },
    h(
      "table",
      { id: "money-flow", class: "quotes" },
      h("caption", { id: "money-flow-caption" }, t("moneyFlowCaption")),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, t("colName")),
          h("th", { scope: "col", class: "num" }, t("colPrice")),
          h("th", { scope: "col", class: "num" }, t("colChangePct")),
          h("th", { scope: "col", class: "num" }, t("colMainNet")),
          h("th", { scope: "col", class: "num" }, t("colMainPct")),
          h("th", { scope: "col", class: "num" }, t("colSuperLarge")),
          h("th", { scope: "col", class: "num" }, t("colLarge")),
          h("th", { scope: "col", class: "num" }, t("colMedium")),
          h("th", { scope: "col", class: "num" }, t("colSmall"))
        )
      ),
      h(
        "tbody",
        {},
        r.entries.map((e) =>
          h(
            "tr",
            { "data-symbol": e.symbol },
            h("th", { scope: "row" }, h("a", { href: symbolHref(e.symbol) }, h("span", { class: "q-name" }, e.name), " ", h("span", { class: "q-code" }, e.symbol))),
            h("td", { class: "num", "data-value": e.price }, price(e.price, locale())),
            h("td", { class: `num ${direction(e.change_pct)}`, "data-value": e.change_pct }, percent(e.change_pct, locale())),
            netCell(e.main_net),
            h("td", { class: `num ${direction(e.main_net_pct)}`, "data-value": e.main_net_pct }, percent(e.main_net_pct, locale())),
            netCell(e.super_large_net),
            netCell(e.large_net),
            netCell(e.medium_net),
            netCell(e.small_net)
          )
        )
      )
    )
  )

/** The money-flow card of the CN overview: the ranking, or the sentence saying why there is none. */
export const moneyFlowSection = () => {
  const section = h("section", { "aria-labelledby": "h-money-flow", class: "card money-flow", "data-state": "loading" })
  const heading = h("h2", { id: "h-money-flow" }, t("moneyFlow"))
  fill(section, heading, h("p", { class: "muted" }, t("loading")))
  let known: "offered" | "demo" | "none" | undefined
  const load = async () => {
    try {
      known ??= await availability()
      if (known !== "offered") {
        section.dataset.state = known
        fill(section, heading, h("p", { class: "notice", role: "status", "data-field": "money-flow-refusal" }, t(known === "demo" ? "moneyFlowDemo" : "moneyFlowNone")))
        return
      }
      const r = await get<MoneyFlowRanking>(`/v1/market/moneyflow?market=CN&limit=${MONEY_FLOW_ROWS}`)
      section.dataset.state = "ready"
      fill(section, heading, table(r), h("p", { class: "muted" }, t("moneyFlowNote", { source: r.source, ranked: integer(r.ranked, locale()) })))
    } catch (error) {
      section.dataset.state = "failed"
      fill(section, heading, h("p", { class: "notice", role: "status" }, t("moneyFlowFailed", { msg: (error as Error).message })))
    }
  }
  return { section, load }
}
