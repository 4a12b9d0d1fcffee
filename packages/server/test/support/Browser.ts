import { Effect } from "effect"

export interface Answer {
  readonly status: number
  readonly headers: Headers
  /** Parsed JSON, or the text when it is not JSON. */
  readonly body: any
  /** `Set-Cookie` lines of this answer. */
  readonly setCookies: ReadonlyArray<string>
}

export interface RequestOptions {
  readonly method?: string | undefined
  readonly json?: unknown
  readonly form?: Record<string, string> | undefined
  /** A body sent as is (with the content type of `headers`). */
  readonly text?: string | undefined
  readonly headers?: Record<string, string> | undefined
  /** Send the X-CSRF-Token header from the mg_csrf cookie (as the web app's script does). */
  readonly csrf?: boolean | undefined
}

/**
 * A browser's view of the service: a cookie jar kept across requests (the
 * cookies the server sets, sent back on the same origin, dropped when set
 * with Max-Age=0), over real HTTP (fetch).
 */
export class Browser {
  readonly cookies = new Map<string, string>()
  readonly base: string

  constructor(base: string) {
    this.base = base
  }

  request(path: string, options: RequestOptions = {}): Effect.Effect<Answer> {
    return Effect.promise(async () => {
      const headers: Record<string, string> = { ...options.headers }
      if (this.cookies.size > 0 && headers.cookie === undefined) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ")
      if (options.csrf === true && this.cookies.has("mg_csrf")) headers["x-csrf-token"] = this.cookies.get("mg_csrf")!
      let body: string | undefined
      if (options.json !== undefined) {
        headers["content-type"] = "application/json"
        body = JSON.stringify(options.json)
      } else if (options.text !== undefined) {
        body = options.text
      } else if (options.form !== undefined) {
        headers["content-type"] = "application/x-www-form-urlencoded"
        body = new URLSearchParams(options.form).toString()
      }
      const init: RequestInit = { method: options.method ?? (body === undefined ? "GET" : "POST"), headers }
      if (body !== undefined) init.body = body
      const response = await fetch(`${this.base}${path}`, init)
      const setCookies = response.headers.getSetCookie()
      for (const line of setCookies) {
        const [pair, ...attributes] = line.split(";").map((s) => s.trim())
        const eq = pair!.indexOf("=")
        const name = pair!.slice(0, eq)
        const value = decodeURIComponent(pair!.slice(eq + 1))
        if (attributes.some((a) => /^max-age=0$/i.test(a)) || value === "") this.cookies.delete(name)
        else this.cookies.set(name, value)
      }
      const text = await response.text()
      let parsed: unknown = text
      try {
        parsed = JSON.parse(text)
      } catch {
        // not JSON: kept as text
      }
      return { status: response.status, headers: response.headers, body: parsed, setCookies }
    })
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request(path, { headers })
  }

  post(path: string, json?: unknown, options: Omit<RequestOptions, "json"> = {}) {
    return this.request(path, { method: "POST", ...options, json: json ?? {} })
  }

  login(username: string, password: string, totp?: string) {
    return this.post("/v1/auth/login", totp === undefined ? { username, password } : { username, password, totp })
  }
}
