import { ApiError, get } from "./api.ts"
import { fill, h } from "./dom.ts"
import { dateTime, sessionDate } from "./format.ts"
import { locale, t } from "./i18n.ts"
import { isAnalyst, whoAmI } from "./session.ts"
import type { BarLineage } from "./types.ts"

/** Where the stored daily bar of `date` came from: provider, fetch time, ingest run, the checks it passed. */
export const loadLineage = async (el: HTMLElement, symbol: string, date: string, timeZone: string, isCurrent: () => boolean) => {
  const l = locale()
  const title = h("h2", { id: "h-lineage" }, t("lineageOf", { date: sessionDate(date, l) }))
  fill(el, title, h("p", {}, t("loading")))
  // Lineage is an analyst read: viewers and anonymous readers are told so instead of meeting a 401.
  if (!isAnalyst(await whoAmI())) {
    if (isCurrent()) fill(el, title, h("p", { class: "muted", "data-lineage": "analyst-only" }, t("lineageAnalyst")))
    return
  }
  try {
    const lin = await get<BarLineage>(`/v1/lineage/${encodeURIComponent(symbol)}?date=${date}`)
    if (!isCurrent()) return
    const run = lin.ingest_run
    fill(
      el,
      title,
      h(
        "dl",
        { class: "lineage-list", "data-date": date },
        h("dt", {}, t("source")),
        h("dd", { "data-field": "source" }, lin.source),
        h("dt", {}, t("fetchedAt")),
        h("dd", { "data-field": "fetched_at" }, h("time", { datetime: lin.fetched_at }, dateTime(lin.fetched_at, l, timeZone))),
        h("dt", {}, t("ingestRun")),
        h("dd", { "data-field": "ingest_run" }, run === null ? t("readThrough") : `#${run.id} ${run.kind} (${run.trigger}, ${run.status})`),
        h("dt", {}, t("checks")),
        h("dd", { "data-field": "checks" }, lin.checks.length === 0 ? t("none") : lin.checks.join(", ")),
        h("dt", {}, t("quarantined")),
        h("dd", { "data-field": "quarantined" }, lin.quarantined.length === 0 ? t("none") : lin.quarantined.map((q) => `${q.source}: ${q.rule} (${q.detail})`).join("; "))
      )
    )
  } catch (error) {
    if (!isCurrent()) return
    const msg = (error as Error).message
    fill(el, title, h("p", { class: "muted" }, error instanceof ApiError && error.status === 404 ? t("lineageNone", { msg }) : t("loadFailed", { msg })))
  }
}
