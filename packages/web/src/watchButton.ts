import type { Watchlist } from "@marketgate/domain/Watchlist"
import { get, send } from "./api.ts"
import { fill, h } from "./dom.ts"
import { t } from "./i18n.ts"
import { isPerson, whoAmI } from "./session.ts"

/**
 * The star of a symbol page: on or off the signed-in person's watchlist
 * (POST / DELETE /v1/watchlist/{symbol}). Nothing is shown to anonymous readers.
 */
export const watchButton = (symbol: string): HTMLElement => {
  const slot = h("span", { class: "watch-slot" })
  void (async () => {
    if (!isPerson(await whoAmI())) return
    let on = (await get<Watchlist>("/v1/watchlist").catch(() => undefined))?.items.some((i) => i.symbol === symbol)
    if (on === undefined) return
    const button = h("button", { type: "button", id: "watch-toggle", class: "secondary watch" })
    const draw = () => {
      button.setAttribute("aria-pressed", String(on))
      fill(button, on ? `★ ${t("unwatch")}` : `☆ ${t("watch")}`)
    }
    button.addEventListener("click", async () => {
      button.disabled = true
      try {
        const path = `/v1/watchlist/${encodeURIComponent(symbol)}`
        const list = await send<Watchlist>(on ? "DELETE" : "POST", path)
        on = list.items.some((i) => i.symbol === symbol)
      } catch (error) {
        button.title = (error as Error).message
      }
      button.disabled = false
      draw()
      button.focus()
    })
    draw()
    slot.append(button)
  })()
  return slot
}
