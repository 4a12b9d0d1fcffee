import { ApiError, send } from "./api.ts"
import { fill, h } from "./dom.ts"
import { t } from "./i18n.ts"
import type { View } from "./nav.ts"
import { setPrincipal } from "./session.ts"
import type { Principal } from "./types.ts"

interface LoginAnswer {
  readonly status: "ok" | "mfa_required"
  readonly principal?: Principal
}

/** Where to go after logging in: a path of this app only (never another site). */
export const safeNext = (next: string | null) =>
  next !== null && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login") ? next : "/"

/** `/login?next=…`: the login address that comes back to `path` afterwards. */
export const loginHref = (path: string, reason?: "expired" | "out" | "need") =>
  `/login?${new URLSearchParams({ next: path, ...(reason === undefined ? {} : { [reason]: "1" }) })}`

/**
 * The login page: username and password, then (when the account uses it) the
 * two-step verification code; afterwards back to the page the reader came from.
 */
export const loginView = (main: HTMLElement, navigate: (href: string) => void): View => {
  const params = new URLSearchParams(location.search)
  const next = safeNext(params.get("next"))
  document.title = `${t("loginTitle")} · marketgate`
  const notice = params.get("expired") === "1" ? t("sessionEnded") : params.get("out") === "1" ? t("loggedOut") : params.get("need") === "1" ? t("signInNeeded") : ""
  const heading = h("h1", { id: "login-title", tabindex: -1 }, t("loginTitle"))
  const status = h("p", { class: "login-error", id: "login-error", role: "alert" })
  const form = h("form", { class: "login-form", "aria-labelledby": "login-title", novalidate: true })
  const root = h(
    "div",
    { class: "login card", "data-step": "password" },
    heading,
    notice === "" ? null : h("p", { class: "notice", role: "status", "data-notice": params.get("expired") === "1" ? "expired" : "info" }, notice),
    form,
    status
  )
  main.append(root)
  let stopped = false
  let username = ""
  let password = ""

  const field = (id: string, label: string, attrs: Record<string, string | boolean>) =>
    h("div", { class: "login-field" }, h("label", { for: id }, label), h("input", { id, name: id, required: true, "aria-describedby": "login-error", ...attrs }))

  const submitButton = (label: string) => h("button", { type: "submit", class: "primary" }, label)

  const attempt = async (totp?: string) => {
    const button = form.querySelector("button[type=submit]") as HTMLButtonElement | null
    if (button !== null) button.disabled = true
    fill(status, t("loginBusy"))
    status.dataset.kind = "busy"
    try {
      const answer = await send<LoginAnswer>("POST", "/v1/auth/login", totp === undefined ? { username, password } : { username, password, totp }, { own401: true })
      if (stopped) return
      if (answer.status === "mfa_required") return codeStep()
      setPrincipal(answer.principal!)
      navigate(next)
    } catch (error) {
      if (stopped) return
      const e = error as Error
      status.dataset.kind = "error"
      const wrongPassword = error instanceof ApiError && error.status === 401 && /^wrong username or password/.test(e.message)
      fill(status, totp !== undefined && !wrongPassword ? t("mfaWrong", { msg: e.message }) : wrongPassword ? t("loginWrong") : t("loginRefused", { msg: e.message }))
      if (button !== null) button.disabled = false
      const retry = form.querySelector("input") as HTMLInputElement | null
      retry?.select()
      retry?.focus()
    }
  }

  const passwordStep = () => {
    root.dataset.step = "password"
    fill(
      form,
      field("login-username", t("username"), { type: "text", autocomplete: "username", autocapitalize: "none", spellcheck: "false", value: username }),
      field("login-password", t("password"), { type: "password", autocomplete: "current-password" }),
      submitButton(t("loginSubmit"))
    )
    form.onsubmit = (e) => {
      e.preventDefault()
      username = (form.querySelector("#login-username") as HTMLInputElement).value.trim()
      password = (form.querySelector("#login-password") as HTMLInputElement).value
      if (username === "" || password === "") {
        status.dataset.kind = "error"
        fill(status, t("loginWrong"))
        return
      }
      void attempt()
    }
    ;(form.querySelector(username === "" ? "#login-username" : "#login-password") as HTMLInputElement).focus()
  }

  const codeStep = () => {
    root.dataset.step = "mfa"
    fill(status)
    status.dataset.kind = ""
    fill(
      form,
      h("h2", { id: "mfa-title" }, t("mfaTitle")),
      h("p", { id: "mfa-help" }, t("mfaHelp", { name: username })),
      h(
        "div",
        { class: "login-field" },
        h("label", { for: "login-code" }, t("mfaCode")),
        h("input", {
          id: "login-code",
          name: "code",
          type: "text",
          inputmode: "numeric",
          autocomplete: "one-time-code",
          required: true,
          maxlength: 64,
          "aria-describedby": "mfa-help login-error"
        })
      ),
      h("div", { class: "login-actions" }, submitButton(t("mfaSubmit")), h("button", { type: "button", id: "login-back", onclick: () => {
        password = ""
        fill(status)
        passwordStep()
      } }, t("mfaBack")))
    )
    form.onsubmit = (e) => {
      e.preventDefault()
      const code = (form.querySelector("#login-code") as HTMLInputElement).value.replace(/\s+/g, "")
      if (code !== "") void attempt(code)
    }
    ;(form.querySelector("#login-code") as HTMLInputElement).focus()
  }

  passwordStep()
  return {
    dispose: () => {
      stopped = true
    }
  }
}
