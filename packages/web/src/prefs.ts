import { type Lang, setLang } from "./i18n.ts"
import type { Market } from "./types.ts"

/** What the reader chose, kept in the browser. */
export type ColourMode = "auto" | "red-up" | "green-up"

export interface Prefs {
  readonly lang: Lang
  readonly colours: ColourMode
}

const KEY = "marketgate.prefs"

const initial = (): Prefs => {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? "null") as Partial<Prefs> | null
    if (saved !== null && (saved.lang === "zh" || saved.lang === "en")) {
      return { lang: saved.lang, colours: saved.colours === "red-up" || saved.colours === "green-up" ? saved.colours : "auto" }
    }
  } catch {
    // unreadable storage: fall back to the browser's language
  }
  return { lang: navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en", colours: "auto" }
}

let prefs = initial()
setLang(prefs.lang)
const listeners = new Set<() => void>()

export const getPrefs = () => prefs

export const setPrefs = (next: Partial<Prefs>) => {
  prefs = { ...prefs, ...next }
  setLang(prefs.lang)
  try {
    localStorage.setItem(KEY, JSON.stringify(prefs))
  } catch {
    // private mode: the choice lasts for this page only
  }
  for (const f of listeners) f()
}

export const onPrefsChange = (f: () => void) => {
  listeners.add(f)
  return () => listeners.delete(f)
}

/** China's convention is red for a rise; the US one green. "auto" follows the instrument's market. */
export const redUp = (market: Market) => prefs.colours === "auto" ? market === "CN" : prefs.colours === "red-up"

export interface Palette {
  readonly up: string
  readonly down: string
  readonly flat: string
}

const RED = "#c62828"
const GREEN = "#137333"

export const palette = (market: Market): Palette =>
  redUp(market) ? { up: RED, down: GREEN, flat: "#5f6368" } : { up: GREEN, down: RED, flat: "#5f6368" }

/** The class that sets the --up/--down colours of an element's contents. */
export const colourClass = (market: Market) => (redUp(market) ? "red-up" : "green-up")
