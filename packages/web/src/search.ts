import { get, query } from "./api.ts"
import { fill, h } from "./dom.ts"
import { t } from "./i18n.ts"
import type { InstrumentPage } from "./types.ts"

const DEBOUNCE_MS = 150
const SUGGESTIONS = 8

/**
 * The search box: an ARIA combobox whose suggestions come from
 * `GET /v1/instruments?q=` (code, name, and on servers that rank them, pinyin).
 * Arrow keys move through the list, Enter opens, Escape closes.
 */
export const searchBox = (navigate: (href: string) => void) => {
  const input = h("input", {
    id: "search-input",
    type: "search",
    role: "combobox",
    autocomplete: "off",
    spellcheck: "false",
    "aria-autocomplete": "list",
    "aria-expanded": "false",
    "aria-controls": "search-list",
    placeholder: t("searchPlaceholder")
  })
  const list = h("ul", { id: "search-list", role: "listbox", "aria-label": t("searchLabel"), hidden: true })
  const status = h("span", { class: "visually-hidden", role: "status", "aria-live": "polite" })
  let items: Array<{ readonly symbol: string }> = []
  let active = -1
  let timer: ReturnType<typeof setTimeout> | undefined
  let inflight: AbortController | undefined

  const close = () => {
    list.hidden = true
    input.setAttribute("aria-expanded", "false")
    input.removeAttribute("aria-activedescendant")
    active = -1
  }

  const highlight = (i: number) => {
    active = i
    list.querySelectorAll("li").forEach((li, j) => li.setAttribute("aria-selected", String(j === i)))
    if (i >= 0) input.setAttribute("aria-activedescendant", `search-opt-${i}`)
    else input.removeAttribute("aria-activedescendant")
  }

  const open = (symbol: string) => {
    close()
    input.value = ""
    navigate(`/symbol/${encodeURIComponent(symbol)}`)
  }

  const lookup = async (q: string) => {
    inflight?.abort()
    const controller = new AbortController()
    inflight = controller
    try {
      const page = await get<InstrumentPage>(`/v1/instruments?${query({ q, limit: SUGGESTIONS })}`, { signal: controller.signal })
      if (controller.signal.aborted) return
      items = page.instruments.map((i) => ({ symbol: i.symbol }))
      fill(
        list,
        page.instruments.length === 0
          ? h("li", { class: "empty", role: "option", "aria-disabled": "true", "aria-selected": "false", id: "search-opt-none" }, t("searchNone"))
          : page.instruments.map((i, n) =>
            h(
              "li",
              {
                id: `search-opt-${n}`,
                role: "option",
                "aria-selected": "false",
                "data-symbol": i.symbol,
                onmousedown: (e: Event) => {
                  e.preventDefault()
                  open(i.symbol)
                }
              },
              h("span", { class: "opt-code" }, i.symbol),
              h("span", { class: "opt-name" }, i.name)
            )
          )
      )
      list.hidden = false
      input.setAttribute("aria-expanded", "true")
      status.textContent = page.instruments.length === 0 ? t("searchNone") : `${page.instruments.length}`
      highlight(page.instruments.length > 0 ? 0 : -1)
    } catch (error) {
      if ((error as Error).name !== "AbortError") {
        items = []
        fill(list, h("li", { class: "empty", role: "option", "aria-disabled": "true", "aria-selected": "false", id: "search-opt-none" }, String((error as Error).message)))
        list.hidden = false
        input.setAttribute("aria-expanded", "true")
      }
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer)
    const q = input.value.trim()
    if (q.length === 0) {
      inflight?.abort()
      close()
      return
    }
    timer = setTimeout(() => void lookup(q), DEBOUNCE_MS)
  })
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" && items.length > 0) {
      e.preventDefault()
      if (list.hidden) list.hidden = false
      highlight((active + 1) % items.length)
    } else if (e.key === "ArrowUp" && items.length > 0) {
      e.preventDefault()
      highlight((active - 1 + items.length) % items.length)
    } else if (e.key === "Enter") {
      const chosen = items[active] ?? items[0]
      if (chosen !== undefined && !list.hidden) {
        e.preventDefault()
        open(chosen.symbol)
      }
    } else if (e.key === "Escape") {
      close()
    }
  })
  input.addEventListener("blur", () => setTimeout(close, 100))

  return h(
    "div",
    { class: "search", role: "search" },
    h("label", { for: "search-input", class: "visually-hidden" }, t("searchLabel")),
    input,
    list,
    status
  )
}
