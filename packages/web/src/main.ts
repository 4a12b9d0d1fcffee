import { send, whenUnauthorized } from "./api.ts"
import { byId, fill, h } from "./dom.ts"
import { type Key, lang, t } from "./i18n.ts"
import { loginHref, loginView } from "./login.ts"
import { overviewView } from "./overview.ts"
import { type ColourMode, getPrefs, onPrefsChange, setPrefs } from "./prefs.ts"
import { searchBox } from "./search.ts"
import { ANONYMOUS, isAdmin, isPerson, setPrincipal, whoAmI } from "./session.ts"
import { symbolView } from "./symbol.ts"
import { watchlistView } from "./watchlist.ts"
import { adminJobsView } from "./adminJobs.ts"
import { adminSourcesView } from "./adminSources.ts"
import type { View } from "./nav.ts"
import type { Market } from "./types.ts"

const LAST_MARKET = "marketgate.market"

const route = (path: string): { readonly render: (main: HTMLElement) => View } => {
  if (path === "/login") return { render: (main) => loginView(main, navigate) }
  if (path === "/watchlist") return { render: (main) => watchlistView(main) }
  if (path === "/admin/sources") return { render: (main) => adminSourcesView(main, navigate) }
  if (path === "/admin/jobs") return { render: (main) => adminJobsView(main, navigate) }
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

/** Moves to another page of the app without reloading it (`replace`: without a history entry of its own). */
const navigate = (href: string, replace = false) => {
  if (replace) history.replaceState(null, "", href)
  else if (href !== location.pathname + location.search) history.pushState(null, "", href)
  render()
  if (location.pathname !== "/login") byId("main").focus({ preventScroll: false })
}

// A 401 means the session ended (or this page needs signing in): to the login page, which comes back here.
whenUnauthorized((message) => {
  if (location.pathname === "/login") return
  // The session is gone (its cookie may linger, HttpOnly): read as anonymous until the next login.
  setPrincipal(ANONYMOUS)
  navigate(loginHref(location.pathname + location.search, /session has ended/.test(message) ? "expired" : "need"), true)
})

const logout = async () => {
  try {
    await send("POST", "/v1/auth/logout")
  } catch {
    // Already ended (the 401 has sent the reader to the login page) or unreachable: the page forgets it either way.
  }
  setPrincipal(ANONYMOUS)
  if (location.pathname !== "/login") navigate(loginHref(location.pathname + location.search, "out"))
}

/** Who is signed in (or a login link), and the pages their role opens; filled once /v1/auth/me answers. */
const accountArea = (nav: HTMLElement) => {
  const area = h("div", { class: "account", id: "account", "data-state": "loading" })
  void whoAmI().then((p) => {
    const here = location.pathname + location.search
    if (isPerson(p)) {
      nav.append(h("a", { href: "/watchlist", "aria-current": location.pathname === "/watchlist" ? "page" : null }, t("navWatchlist")))
    }
    if (isAdmin(p)) {
      nav.append(h("a", { href: "/admin/sources", "aria-current": location.pathname.startsWith("/admin/") ? "page" : null }, t("navAdmin")))
    }
    area.dataset.state = p.kind
    if (p.kind === "anonymous") {
      fill(area, location.pathname === "/login" ? null : h("a", { href: loginHref(here), id: "login-link" }, t("login")))
    } else {
      fill(
        area,
        h("span", { id: "signed-in", "data-name": p.name, "data-role": p.role }, t("signedInAs", { name: p.name, role: t(`role_${p.role}` as Key) })),
        p.kind === "user" ? h("button", { type: "button", id: "logout", onclick: () => void logout() }, t("logout")) : null
      )
    }
  })
  return area
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
  const nav = h("nav", { "aria-label": lang() === "zh" ? "导航" : "Pages" }, navLink("/market/CN", t("navCN"), "CN"), navLink("/market/US", t("navUS"), "US"))
  fill(
    byId("top"),
    h("a", { class: "skip", href: "#main" }, t("skip")),
    h("a", { class: "brand", href: "/" }, t("brand")),
    nav,
    searchBox(navigate),
    h(
      "div",
      { class: "prefs" },
      h("label", { for: "pref-lang" }, t("language")),
      languageSelect,
      h("label", { for: "pref-colours" }, t("colours")),
      colourSelect
    ),
    accountArea(nav)
  )
  fill(byId("foot"), h("span", {}, t("footer")), " ", h("a", { href: "/docs" }, t("apiDocs")))
}

// Links inside the app change the page in place; anything else (new tab, /docs) is left to the browser.
document.addEventListener("click", (event) => {
  const a = (event.target as Element | null)?.closest?.("a")
  if (a === null || a === undefined || event.defaultPrevented || event.button !== 0) return
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || a.target !== "" || a.hasAttribute("download")) return
  const url = new URL(a.href, location.href)
  if (url.origin !== location.origin || !/^\/($|market\/|symbol\/|login$|watchlist$|admin\/)/.test(url.pathname)) return
  event.preventDefault()
  navigate(url.pathname + url.search)
})

window.addEventListener("popstate", render)
onPrefsChange(render)
render()
