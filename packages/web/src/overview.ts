import { ApiError, get } from "./api.ts"
import { fill, h } from "./dom.ts"
import { compact, dateTime, direction, integer, percent, price, signed } from "./format.ts"
import { type Key, locale, t } from "./i18n.ts"
import type { View } from "./nav.ts"
import { moneyFlowSection } from "./moneyFlow.ts"
import { colourClass } from "./prefs.ts"
import { quoteTable, symbolHref } from "./quoteTable.ts"
import { type Market, type MarketOverview, timeZoneOf } from "./types.ts"

/** While the market trades the overview is asked again this often (the API caches it 15 s). */
export const REFRESH_OPEN_S = 15
/** Otherwise seldom, only to notice the open. */
const REFRESH_IDLE_S = 60

const statusBadge = (status: string) => h("span", { class: `status status-${status}`, "data-status": status }, t(`st_${status}` as Key))

const indexCard = (q: MarketOverview["indices"][number]) =>
  h(
    "li",
    { class: `index ${direction(q.change)}`, "data-symbol": q.symbol },
    h("a", { href: symbolHref(q.symbol) }, h("span", { class: "idx-name" }, q.name)),
    h("span", { class: "idx-price", "data-value": q.price }, price(q.price, locale())),
    h(
      "span",
      { class: "idx-change" },
      h("span", { "data-value": q.change }, signed(q.change, locale())),
      " ",
      h("span", { "data-value": q.change_pct }, percent(q.change_pct, locale()))
    )
  )

const breadthItem = (key: Key, field: string, value: number, cls = "") =>
  h("div", { class: `breadth-item ${cls}` }, h("dt", {}, t(key)), h("dd", { "data-field": field, "data-value": value }, integer(value, locale())))

const breadthBar = (b: MarketOverview["breadth"]) => {
  const total = Math.max(1, b.advancers + b.decliners + b.unchanged)
  const part = (cls: string, n: number) => {
    const span = h("span", { class: cls })
    // Set through the CSSOM, which a strict Content-Security-Policy allows (a style attribute it does not).
    span.style.flexGrow = String(n / total)
    return span
  }
  // The bar repeats the figures beside it; screen readers read those.
  return h("div", { class: "breadth-bar", "aria-hidden": "true" }, part("up", b.advancers), part("flat", b.unchanged), part("down", b.decliners))
}

/** The market overview of one market, refreshing itself (faster while the market is open). */
export const overviewView = (main: HTMLElement, market: Market): View => {
  const root = h("div", { class: `overview ${colourClass(market)}`, "data-market": market })
  main.append(root)
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  const marketName = t(market === "CN" ? "marketCN" : "marketUS")
  document.title = `${t("overviewTitle", { market: marketName })} · marketgate`

  const heading = h("h1", { tabindex: -1 }, t("overviewTitle", { market: marketName }))
  const status = h("p", { class: "as-of" }, t("loading"))
  const body = h("div", { class: "overview-body" })
  fill(root, heading, status, body)
  // A-shares only: money flow (资金流向), refreshed with the overview.
  const flow = market === "CN" ? moneyFlowSection() : undefined
  if (flow !== undefined) root.append(flow.section)

  const draw = (o: MarketOverview) => {
    fill(
      status,
      statusBadge(o.status),
      " ",
      h("time", { datetime: o.as_of, "data-field": "as_of" }, t("asOf", { time: dateTime(o.as_of, locale(), timeZoneOf(market)) })),
      " · ",
      h("span", { class: "muted" }, t("autoRefresh", { seconds: REFRESH_OPEN_S }))
    )
    fill(
      body,
      h("section", { "aria-labelledby": "h-indices", class: "card" }, h("h2", { id: "h-indices" }, t("indices")), h("ul", { class: "indices" }, o.indices.map(indexCard))),
      h(
        "section",
        { "aria-labelledby": "h-breadth", class: "card breadth" },
        h("h2", { id: "h-breadth" }, t("breadth")),
        breadthBar(o.breadth),
        h(
          "dl",
          {},
          breadthItem("advancers", "advancers", o.breadth.advancers, "up"),
          breadthItem("decliners", "decliners", o.breadth.decliners, "down"),
          breadthItem("unchanged", "unchanged", o.breadth.unchanged),
          breadthItem("limitUp", "limit_up", o.breadth.limit_up, "up"),
          breadthItem("limitDown", "limit_down", o.breadth.limit_down, "down"),
          breadthItem("total", "total", o.breadth.total),
          h("div", { class: "breadth-item" }, h("dt", {}, t("turnover")), h("dd", { "data-field": "turnover", "data-value": o.turnover }, compact(o.turnover, locale())))
        )
      ),
      h(
        "div",
        { class: "movers" },
        h("section", { class: "card" }, quoteTable("top-gainers", t("topGainers"), o.top_gainers, "amount")),
        h("section", { class: "card" }, quoteTable("top-losers", t("topLosers"), o.top_losers, "amount")),
        h("section", { class: "card" }, quoteTable("most-active", t("mostActive"), o.most_active, "amount"))
      )
    )
    root.dataset.ready = "true"
  }

  const load = async () => {
    let next = REFRESH_IDLE_S
    try {
      const o = await get<MarketOverview>(`/v1/market/overview?market=${market}`)
      if (stopped) return
      draw(o)
      void flow?.load()
      if (o.status === "open") next = REFRESH_OPEN_S
    } catch (error) {
      if (stopped) return
      const e = error as Error
      fill(
        status,
        h(
          "span",
          { class: "notice", role: "status", "data-missing": error instanceof ApiError && error.status === 404 ? "true" : null },
          error instanceof ApiError && error.status === 404
            ? t("overviewMissing", { status: error.status, msg: e.message })
            : t("loadFailed", { msg: e.message })
        )
      )
      root.dataset.ready = "true"
    }
    timer = setTimeout(() => void load(), next * 1000)
  }
  void load()

  return {
    dispose: () => {
      stopped = true
      clearTimeout(timer)
    }
  }
}
