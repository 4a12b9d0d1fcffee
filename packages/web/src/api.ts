/** The /v1 API from the browser: unwraps the envelope, turns an error envelope into an ApiError. */
export class ApiError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

interface Envelope<A> {
  readonly code: number
  readonly data: A
  readonly msg: string
}

let onUnauthorized: ((message: string) => void) | undefined

/**
 * What the app does when the API answers 401 (a session that ended, or a page
 * that needs signing in): main.ts sends the reader to the login page.
 */
export const whenUnauthorized = (f: (message: string) => void) => {
  onUnauthorized = f
}

/** The session's CSRF token, from the script-readable mg_csrf cookie (docs/security.md). */
export const csrfToken = () => {
  const pair = document.cookie.split("; ").find((c) => c.startsWith("mg_csrf="))
  return pair === undefined ? undefined : decodeURIComponent(pair.slice("mg_csrf=".length))
}

export interface CallOptions {
  /** Answer a 401 to the caller instead of leaving for the login page (the login form itself). */
  readonly own401?: boolean
  readonly signal?: AbortSignal
}

const call = async <A>(method: string, path: string, body: unknown, options: CallOptions): Promise<A> => {
  const headers: Record<string, string> = { accept: "application/json" }
  const init: RequestInit = { method, headers }
  if (options.signal !== undefined) init.signal = options.signal
  if (method !== "GET") {
    const csrf = csrfToken()
    if (csrf !== undefined) headers["x-csrf-token"] = csrf
    if (body !== undefined) {
      headers["content-type"] = "application/json"
      init.body = JSON.stringify(body)
    }
  }
  const response = await fetch(path, init)
  let envelope: Envelope<A> | undefined
  try {
    envelope = (await response.json()) as Envelope<A>
  } catch {
    envelope = undefined
  }
  if (!response.ok || envelope === undefined || envelope.code !== 0) {
    const message = envelope?.msg ?? `${response.status} ${response.statusText}`
    if (response.status === 401 && options.own401 !== true) onUnauthorized?.(message)
    throw new ApiError(response.status, message)
  }
  return envelope.data
}

export const get = <A>(path: string, options: CallOptions = {}): Promise<A> => call<A>("GET", path, undefined, options)

/** A state-changing request: JSON body, and the CSRF token the session cookie needs. */
export const send = <A>(method: "POST" | "PUT" | "DELETE", path: string, body?: unknown, options: CallOptions = {}): Promise<A> =>
  call<A>(method, path, body, options)

export const query = (params: Record<string, string | number | undefined>) => {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v))
  return q.toString()
}
