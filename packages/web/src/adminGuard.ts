import { fill, h } from "./dom.ts"
import { t } from "./i18n.ts"
import { loginHref } from "./login.ts"
import { isAdmin, whoAmI } from "./session.ts"

/** The two operator pages, linked from each other. */
export const adminNav = (current: "sources" | "jobs") =>
  h(
    "nav",
    { class: "admin-nav", "aria-label": t("navAdmin") },
    h("a", { href: "/admin/sources", "aria-current": current === "sources" ? "page" : null }, t("sourcesTitle")),
    h("a", { href: "/admin/jobs", "aria-current": current === "jobs" ? "page" : null }, t("jobsTitle"))
  )

/**
 * Runs `show` for admins only: anonymous readers go to the login page (and
 * come back), other roles are told the page is for administrators.
 */
export const forAdmins = async (root: HTMLElement, navigate: (href: string, replace?: boolean) => void, show: () => void) => {
  const p = await whoAmI()
  if (isAdmin(p)) return show()
  if (p.kind === "anonymous") return navigate(loginHref(location.pathname + location.search, "need"), true)
  fill(root, h("h1", { tabindex: -1 }, t("navAdmin")), h("p", { class: "notice", role: "status", "data-admin": "refused" }, t("adminOnly")))
  root.dataset.ready = "true"
}
