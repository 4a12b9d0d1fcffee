import type { SourceHealth } from "@marketgate/domain/SourceHealth"
import { forAdmins, adminNav } from "./adminGuard.ts"
import { get } from "./api.ts"
import { fill, h } from "./dom.ts"
import { dateTime, integer, percent } from "./format.ts"
import { type Key, locale, t } from "./i18n.ts"
import type { View } from "./nav.ts"

const REFRESH_S = 5

const num = (x: number | null, digits = 1) =>
  x === null ? "–" : new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(x)

const row = (s: SourceHealth) =>
  h(
    "tr",
    { "data-source": s.name, "data-breaker": s.breaker.state },
    h("th", { scope: "row" }, s.name),
    h("td", { class: "num", "data-field": "priority" }, integer(s.priority, locale())),
    h("td", { "data-field": "tier" }, s.tier),
    h("td", { "data-field": "breaker", "data-value": s.breaker.state }, h("span", { class: `status breaker-${s.breaker.state}` }, t(`br_${s.breaker.state}` as Key))),
    h("td", { class: "num", "data-field": "consecutive_failures", "data-value": s.breaker.consecutive_failures }, integer(s.breaker.consecutive_failures, locale())),
    h("td", { class: "num", "data-field": "latency_ewma_ms", "data-value": s.latency_ewma_ms ?? "" }, num(s.latency_ewma_ms)),
    h("td", { class: "num", "data-field": "error_rate", "data-value": s.error_rate }, percent(s.error_rate * 100, locale())),
    h("td", { class: "num", "data-field": "calls" }, `${integer(s.calls.success, locale())} / ${integer(s.calls.failure, locale())} / ${integer(s.calls.rejected, locale())}`),
    h("td", { class: "num", "data-field": "per_second", "data-value": s.rate_limit.per_second }, `${num(s.rate_limit.per_second)} / ${num(s.rate_limit.max_per_second)}`),
    h("td", { "data-field": "paused_until" }, s.rate_limit.paused_until === null ? "–" : `${dateTime(s.rate_limit.paused_until, locale(), "UTC")} UTC`),
    h("td", { class: "num", "data-field": "throttled", "data-value": s.rate_limit.throttled }, integer(s.rate_limit.throttled, locale()))
  )

/** Sources health (GET /v1/sources): each provider's breaker, latency, error rate and rate limit, refreshed every 5 s. */
export const adminSourcesView = (main: HTMLElement, navigate: (href: string, replace?: boolean) => void): View => {
  document.title = `${t("sourcesTitle")} · marketgate`
  const root = h("div", { class: "admin", "data-ready": "false" })
  main.append(root)
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false

  void forAdmins(root, navigate, () => {
    const status = h("p", { class: "as-of", role: "status" }, t("loading"))
    const body = h("div", { class: "card" })
    fill(root, adminNav("sources"), h("h1", { tabindex: -1 }, t("sourcesTitle")), status, body)
    const load = async () => {
      try {
        const { sources } = await get<{ sources: ReadonlyArray<SourceHealth> }>("/v1/sources")
        if (stopped) return
        fill(status, t("refreshEvery", { seconds: REFRESH_S }))
        fill(
          body,
          h(
            "div",
            { class: "table-scroll", tabindex: 0, role: "region", "aria-labelledby": "sources-caption" },
            h(
              "table",
              { id: "sources-table" },
              h("caption", { id: "sources-caption" }, t("sourcesTitle")),
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  ...(["colSource", "colPriority", "colTier", "colBreaker", "colFailures", "colLatency", "colErrorRate", "colCalls", "colRate", "colPaused", "colThrottled"] as const)
                    .map((k, i) => h("th", { scope: "col", class: i === 0 || k === "colTier" || k === "colBreaker" || k === "colPaused" ? null : "num" }, t(k)))
                )
              ),
              h("tbody", {}, sources.map(row))
            )
          )
        )
      } catch (error) {
        if (stopped) return
        fill(status, t("loadFailed", { msg: (error as Error).message }))
      }
      root.dataset.ready = "true"
      timer = setTimeout(() => void load(), REFRESH_S * 1000)
    }
    void load()
  })

  return {
    dispose: () => {
      stopped = true
      clearTimeout(timer)
    }
  }
}
