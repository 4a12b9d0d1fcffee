import type { JobRun, JobsPage } from "@marketgate/domain/Jobs"
import { adminNav, forAdmins } from "./adminGuard.ts"
import { get, send } from "./api.ts"
import { fill, h } from "./dom.ts"
import { dateTime, integer } from "./format.ts"
import { type Key, locale, t } from "./i18n.ts"
import type { View } from "./nav.ts"

/** While a run is going the page asks every second; otherwise every ten. */
const FAST_S = 1
const SLOW_S = 10

/** Jobs serve both markets: their times are shown in UTC, and the columns say so. */
const zone = () => "UTC"
const when = (iso: string | null) => (iso === null ? "–" : h("time", { datetime: iso }, dateTime(iso, locale(), zone())))

/** `done of symbols` for a backfill, else the counts as `name=n`. */
const progressOf = (run: JobRun) => {
  const c = run.counts
  if (typeof c.symbols === "number" && typeof c.done === "number") {
    return h(
      "span",
      { class: "progress" },
      h("progress", { max: Math.max(1, c.symbols), value: c.done, "aria-label": `#${run.id}` }),
      ` ${integer(c.done, locale())} / ${integer(c.symbols, locale())}`
    )
  }
  return Object.entries(c).map(([k, v]) => `${k}=${v}`).join(", ")
}

const runRow = (run: JobRun) =>
  h(
    "tr",
    { "data-run": run.id, "data-status": run.status, "data-kind": run.kind },
    h("th", { scope: "row" }, `#${run.id}`),
    h("td", {}, run.kind),
    h("td", {}, run.trigger),
    h("td", { "data-field": "status" }, h("span", { class: `status run-${run.status}` }, t(`run_${run.status}` as Key))),
    h("td", {}, when(run.started_at)),
    h("td", {}, when(run.finished_at)),
    h("td", { "data-field": "progress", "data-done": run.counts.done ?? null, "data-symbols": run.counts.symbols ?? null }, progressOf(run), run.error === null ? null : h("div", { class: "muted" }, run.error))
  )

const table = (id: string, caption: string, head: ReadonlyArray<string>, rows: ReadonlyArray<HTMLElement>) =>
  h(
    "div",
    { class: "table-scroll", tabindex: 0, role: "region", "aria-labelledby": `${id}-caption` },
    h("table", { id }, h("caption", { id: `${id}-caption` }, caption), h("thead", {}, h("tr", {}, head.map((x) => h("th", { scope: "col" }, x)))), h("tbody", {}, rows))
  )

/** Jobs (GET /v1/admin/jobs): recent runs and the schedule; a backfill started here and followed to its end. */
export const adminJobsView = (main: HTMLElement, navigate: (href: string, replace?: boolean) => void): View => {
  document.title = `${t("jobsTitle")} · marketgate`
  const root = h("div", { class: "admin", "data-ready": "false" })
  main.append(root)
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  let followed: number | undefined

  void forAdmins(root, navigate, () => {
    const status = h("p", { class: "as-of", role: "status" }, t("loading"))
    const follow = h("p", { id: "backfill-status", role: "status", "aria-live": "polite" })
    const error = h("p", { id: "backfill-error", class: "login-error", role: "alert" })
    const field = (id: string, label: string, attrs: Record<string, string | boolean>) =>
      h("div", { class: "login-field" }, h("label", { for: id }, label), h("input", { id, name: id, ...attrs }))
    const form = h(
      "form",
      { class: "backfill-form", "aria-labelledby": "h-backfill" },
      field("backfill-symbols", t("backfillSymbols"), { type: "text", autocomplete: "off", spellcheck: "false", placeholder: "600519.SH, AAPL.US" }),
      h("div", { class: "inline-form" },
        field("backfill-from", t("backfillFrom"), { type: "date", required: true }),
        field("backfill-to", t("backfillTo"), { type: "date", required: true })),
      h("button", { type: "submit", class: "primary" }, t("backfillStart"))
    )
    const runs = h("section", { class: "card", "aria-label": t("runsTitle") })
    const schedule = h("section", { class: "card", "aria-label": t("scheduleTitle") })
    fill(
      root,
      adminNav("jobs"),
      h("h1", { tabindex: -1 }, t("jobsTitle")),
      status,
      h("section", { class: "card backfill", "aria-labelledby": "h-backfill" }, h("h2", { id: "h-backfill" }, t("backfillTitle")), form, error, follow),
      runs,
      schedule
    )

    const load = async () => {
      clearTimeout(timer)
      let running = false
      try {
        const page = await get<JobsPage>("/v1/admin/jobs?limit=30")
        if (stopped) return
        running = page.runs.some((r) => r.status === "running")
        fill(status, t("refreshEvery", { seconds: running ? FAST_S : SLOW_S }))
        fill(runs, table("runs-table", t("runsTitle"), [t("colId"), t("colKind"), t("colTrigger"), t("colStatus"), `${t("colStarted")} (UTC)`, `${t("colFinished")} (UTC)`, t("colProgress")], page.runs.map(runRow)))
        fill(
          schedule,
          table("schedule-table", t("scheduleTitle"), [t("colKind"), t("colCron"), `${t("colNextRun")} (UTC)`], page.schedule.map((e) =>
            h("tr", {}, h("th", { scope: "row" }, e.name), h("td", {}, `${e.cron} (${e.time_zone})`), h("td", {}, when(e.next_run)))))
        )
        const mine = page.runs.find((r) => r.id === followed)
        if (mine !== undefined) {
          follow.dataset.status = mine.status
          fill(follow, t("backfillFollow", { id: mine.id, status: t(`run_${mine.status}` as Key), done: mine.counts.done ?? 0, total: mine.counts.symbols ?? 0 }))
        }
      } catch (e) {
        if (stopped) return
        fill(status, t("loadFailed", { msg: (e as Error).message }))
      }
      root.dataset.ready = "true"
      timer = setTimeout(() => void load(), (running ? FAST_S : SLOW_S) * 1000)
    }

    form.addEventListener("submit", async (e) => {
      e.preventDefault()
      fill(error)
      error.dataset.kind = ""
      const value = (id: string) => (form.querySelector(`#${id}`) as HTMLInputElement).value.trim()
      const symbols = value("backfill-symbols").split(/[\s,]+/).filter((s) => s !== "").map((s) => s.toUpperCase())
      const button = form.querySelector("button[type=submit]") as HTMLButtonElement
      button.disabled = true
      try {
        const accepted = await send<{ run_id: number }>("POST", "/v1/admin/backfill", {
          ...(symbols.length === 0 ? {} : { symbols }),
          from: value("backfill-from"),
          to: value("backfill-to")
        })
        followed = accepted.run_id
        follow.dataset.status = "running"
        fill(follow, t("backfillStarted", { id: accepted.run_id }))
        void load()
      } catch (err) {
        error.dataset.kind = "error"
        fill(error, t("backfillFailed", { msg: (err as Error).message }))
      }
      button.disabled = false
    })

    void load()
  })

  return {
    dispose: () => {
      stopped = true
      clearTimeout(timer)
    }
  }
}
