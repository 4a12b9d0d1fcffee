import { byId, fill, h } from "./dom.ts"
import { lang, t } from "./i18n.ts"
import { overviewView } from "./overview.ts"
import { type ColourMode, getPrefs, onPrefsChange, setPrefs } from "./prefs.ts"
import { searchBox } from "./search.ts"
import { symbolView } from "./symbol.ts"
import type { View } from "./nav.ts"
import type { Market } from "./types.ts"

const LAST_MARKET = "marketgate.market"

const route = (path: string): { readonly render: (main: HTMLElement) => View } => {
  const symbol = /^\/symbol\/([^/]+)$/.exec(path)
  if (symbol !== null) return { render: (main) => symbolView(main, decodeURIComponent(symbol[1]!).toUpperCase(), navigate) }
  const market = /^\/market\/(CN|US)$/i.exec(path)
  const chosen: Market = market !== null
    ? (market[1]!.toUpperCase() as Market)
    : localStorage.getItem(LAST_MARKET) === "US" ? "US" : "CN"
  if (market !== null) localStorage.setItem(LAST_MARKET, chosen)
  return { render: (main) => overviewView(main, chosen) }
}

let current: View | undefined

const render = () => {
  current?.dispose()
  const main = byId("main")
  main.replaceChildren()
  current = route(location.pathname).render(main)
  renderShell()
}

/** Moves to another page of the app without reloading it. */
const navigate = (href: string) => {
  if (href !== location.pathname + location.search) history.pushState(null, "", href)
  render()
  byId("main").focus({ preventScroll: false })
}

const renderShell = () => {
  const prefs = getPrefs()
  const path = location.pathname
  const shown = /^\/market\/(CN|US)$/i.exec(path)?.[1]?.toUpperCase() ??
    (path === "/" ? (localStorage.getItem(LAST_MARKET) === "US" ? "US" : "CN") : undefined)
  const navLink = (href: string, label: string, market: Market) =>
    h("a", { href, "aria-current": shown === market ? "page" : null }, label)
  const languageSelect = h(
    "select",
    { id: "pref-lang", onchange: (e: Event) => setPrefs({ lang: (e.target as HTMLSelectElement).value as "zh" | "en" }) },
    h("option", { value: "zh", selected: prefs.lang === "zh" }, "中文"),
    h("option", { value: "en", selected: prefs.lang === "en" }, "English")
  )
  const colourSelect = h(
    "select",
    { id: "pref-colours", onchange: (e: Event) => setPrefs({ colours: (e.target as HTMLSelectElement).value as ColourMode }) },
    h("option", { value: "auto", selected: prefs.colours === "auto" }, t("coloursAuto")),
    h("option", { value: "red-up", selected: prefs.colours === "red-up" }, t("coloursRedUp")),
    h("option", { value: "green-up", selected: prefs.colours === "green-up" }, t("coloursGreenUp"))
  )
  fill(
    byId("top"),
    h("a", { class: "skip", href: "#main" }, t("skip")),
    h("a", { class: "brand", href: "/" }, t("brand")),
    h("nav", { "aria-label": lang() === "zh" ? "市场" : "Markets" }, navLink("/market/CN", t("navCN"), "CN"), navLink("/market/US", t("navUS"), "US")),
    searchBox(navigate),
    h(
      "div",
      { class: "prefs" },
      h("label", { for: "pref-lang" }, t("language")),
      languageSelect,
      h("label", { for: "pref-colours" }, t("colours")),
      colourSelect
    )
  )
  fill(byId("foot"), h("span", {}, t("footer")), " ", h("a", { href: "/docs" }, t("apiDocs")))
}

// Links inside the app change the page in place; anything else (new tab, /docs) is left to the browser.
document.addEventListener("click", (event) => {
  const a = (event.target as Element | null)?.closest?.("a")
  if (a === null || a === undefined || event.defaultPrevented || event.button !== 0) return
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || a.target !== "" || a.hasAttribute("download")) return
  const url = new URL(a.href, location.href)
  if (url.origin !== location.origin || !/^\/($|market\/|symbol\/)/.test(url.pathname)) return
  event.preventDefault()
  navigate(url.pathname + url.search)
})

window.addEventListener("popstate", render)
onPrefsChange(render)
render()
