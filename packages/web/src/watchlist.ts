import type { Watchlist } from "@marketgate/domain/Watchlist"
import { get, send } from "./api.ts"
import { fill, h } from "./dom.ts"
import { compact, dateTime, percent, price, signed, direction } from "./format.ts"
import { locale, t } from "./i18n.ts"
import { liveQuotes } from "./live.ts"
import type { View } from "./nav.ts"
import { colourClass } from "./prefs.ts"
import { symbolHref } from "./quoteTable.ts"
import { type Quote, timeZoneOf } from "./types.ts"

type Item = Watchlist["items"][number]

/**
 * The signed-in person's watchlist (GET /v1/watchlist), each symbol with its
 * latest quote, kept live over one stream for all of them; add, reorder and
 * remove write through the API (PUT / POST / DELETE, with the CSRF token).
 */
export const watchlistView = (main: HTMLElement): View => {
  document.title = `${t("watchlistTitle")} · marketgate`
  const heading = h("h1", { tabindex: -1 }, t("watchlistTitle"))
  const count = h("p", { class: "as-of", id: "watchlist-count" })
  const live = h("span", { class: "live", "data-live": "off", role: "status" }, t("liveOff"))
  const message = h("p", { class: "login-error", id: "watchlist-error", role: "alert" })
  const input = h("input", { id: "watch-symbol", name: "symbol", type: "text", autocomplete: "off", autocapitalize: "characters", spellcheck: "false", placeholder: "600519.SH", "aria-describedby": "watchlist-error" })
  const form = h(
    "form",
    { class: "inline-form", "aria-label": t("watchlistAddLabel") },
    h("label", { for: "watch-symbol" }, t("watchlistAddLabel")),
    input,
    h("button", { type: "submit", class: "primary" }, t("watchlistAdd"))
  )
  const body = h("div", { class: "watchlist-body" })
  const root = h("div", { class: "watchlist", "data-ready": "false" }, heading, h("div", { class: "card" }, count, live, form, message, body))
  main.append(root)

  let items: ReadonlyArray<Item> = []
  let max = 100
  const quotes = new Map<string, Quote>()
  let stopLive: (() => void) | undefined
  let streamed = ""
  let stopped = false

  const cells = (q: Quote | undefined, item: Item) => {
    const l = locale()
    const dir = direction(q?.change)
    return [
      h("td", { class: "num", "data-field": "price", "data-value": q?.price ?? null }, price(q?.price, l)),
      h("td", { class: `num ${dir}`, "data-field": "change", "data-value": q?.change ?? null }, signed(q?.change, l)),
      h("td", { class: `num ${dir}`, "data-field": "change_pct", "data-value": q?.change_pct ?? null }, percent(q?.change_pct, l)),
      h("td", { class: "num", "data-field": "volume" }, compact(q?.volume, l)),
      h("td", { "data-field": "ts" }, q === undefined ? "–" : h("time", { datetime: q.ts }, dateTime(q.ts, l, timeZoneOf(item.market))))
    ]
  }

  const move = (index: number, by: -1 | 1) => {
    const order = items.map((i) => i.symbol)
    const [moved] = order.splice(index, 1)
    order.splice(index + by, 0, moved!)
    void write(() => send<Watchlist>("PUT", "/v1/watchlist", { symbols: order }), `[data-symbol="${moved}"] [data-move="${by}"]`)
  }

  const row = (item: Item, index: number) =>
    h(
      "tr",
      { "data-symbol": item.symbol, class: colourClass(item.market) },
      h("th", { scope: "row" }, h("a", { href: symbolHref(item.symbol) }, h("span", { class: "q-name" }, item.name), " ", h("span", { class: "q-code" }, item.symbol))),
      cells(quotes.get(item.symbol), item),
      h(
        "td",
        { class: "row-actions" },
        h("button", { type: "button", class: "secondary", "data-move": "-1", disabled: index === 0, "aria-label": t("watchlistMoveUp", { symbol: item.symbol }), onclick: () => move(index, -1) }, "↑"),
        h("button", { type: "button", class: "secondary", "data-move": "1", disabled: index === items.length - 1, "aria-label": t("watchlistMoveDown", { symbol: item.symbol }), onclick: () => move(index, 1) }, "↓"),
        h("button", { type: "button", class: "secondary", "data-remove": item.symbol, "aria-label": t("watchlistRemove", { symbol: item.symbol }), onclick: () => {
          void write(() => send<Watchlist>("DELETE", `/v1/watchlist/${encodeURIComponent(item.symbol)}`), "#watch-symbol")
        } }, "✕")
      )
    )

  const draw = () => {
    fill(count, t("watchlistCount", { count: items.length, max }))
    if (items.length === 0) {
      fill(body, h("p", { class: "muted", id: "watchlist-empty" }, t("watchlistEmpty")))
      return
    }
    fill(
      body,
      h(
        "div",
        { class: "table-scroll", tabindex: 0, role: "region", "aria-labelledby": "watchlist-caption" },
        h(
          "table",
          { id: "watchlist-table", class: "quotes" },
          h("caption", { id: "watchlist-caption", class: "visually-hidden" }, t("watchlistTitle")),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { scope: "col" }, t("colName")),
              h("th", { scope: "col", class: "num" }, t("colPrice")),
              h("th", { scope: "col", class: "num" }, t("colChange")),
              h("th", { scope: "col", class: "num" }, t("colChangePct")),
              h("th", { scope: "col", class: "num" }, t("colVolume")),
              h("th", { scope: "col" }, t("colTime")),
              h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, t("watchlistAdd")))
            )
          ),
          h("tbody", {}, items.map(row))
        )
      )
    )
  }

  const onQuote = (q: Quote) => {
    quotes.set(q.symbol, q)
    const tr = body.querySelector<HTMLTableRowElement>(`tr[data-symbol="${CSS.escape(q.symbol)}"]`)
    const item = items.find((i) => i.symbol === q.symbol)
    if (tr === null || item === undefined) return
    for (const el of Array.from(tr.querySelectorAll("td[data-field]"))) el.remove()
    tr.querySelector("th")!.after(...cells(q, item))
    tr.dataset.ts = q.ts
  }

  /** Quotes for the symbols now on the list, and one stream for all of them (reopened when the list changes). */
  const follow = async () => {
    const symbols = items.map((i) => i.symbol)
    const key = symbols.join(",")
    if (key === streamed) return
    streamed = key
    stopLive?.()
    stopLive = undefined
    if (symbols.length === 0) return
    try {
      const answer = await get<{ quotes: ReadonlyArray<Quote> }>(`/v1/quotes?symbols=${symbols.map(encodeURIComponent).join(",")}`)
      if (stopped || streamed !== key) return
      for (const q of answer.quotes) onQuote(q)
    } catch (error) {
      if (!stopped) fill(message, t("loadFailed", { msg: (error as Error).message }))
    }
    if (stopped || streamed !== key) return
    stopLive = liveQuotes(symbols, onQuote, (s) => {
      live.dataset.live = s
      fill(live, t(s === "live" ? "live" : s === "reconnecting" ? "reconnecting" : "liveOff"))
    })
  }

  const apply = (list: Watchlist) => {
    items = list.items
    max = list.max
    draw()
    void follow()
  }

  /** A write, then the list as the server answers it; focus goes back to `focus` (or the add box). */
  const write = async (f: () => Promise<Watchlist>, focus: string) => {
    fill(message)
    root.dataset.ready = "false"
    try {
      apply(await f())
      fill(message)
    } catch (error) {
      if (stopped) return
      fill(message, (error as Error).message)
      message.dataset.kind = "error"
    }
    root.dataset.ready = "true"
    const target = root.querySelector<HTMLElement>(focus)
    ;(target !== null && !(target as HTMLButtonElement).disabled ? target : input).focus()
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault()
    const symbol = input.value.trim().toUpperCase()
    if (symbol === "") return
    void write(() => send<Watchlist>("POST", `/v1/watchlist/${encodeURIComponent(symbol)}`), "#watch-symbol").then(() => {
      if (message.textContent === "") input.value = ""
    })
  })

  const load = async () => {
    try {
      apply(await get<Watchlist>("/v1/watchlist"))
    } catch (error) {
      if (!stopped) fill(message, t("loadFailed", { msg: (error as Error).message }))
    }
    root.dataset.ready = "true"
  }
  void load()

  return {
    dispose: () => {
      stopped = true
      stopLive?.()
    }
  }
}
