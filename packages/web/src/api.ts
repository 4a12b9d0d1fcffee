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

export const get = async <A>(path: string, init: RequestInit = {}): Promise<A> => {
  const response = await fetch(path, { headers: { accept: "application/json" }, ...init })
  let body: Envelope<A> | undefined
  try {
    body = (await response.json()) as Envelope<A>
  } catch {
    body = undefined
  }
  if (!response.ok || body === undefined || body.code !== 0) {
    throw new ApiError(response.status, body?.msg ?? `${response.status} ${response.statusText}`)
  }
  return body.data
}

export const query = (params: Record<string, string | number | undefined>) => {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v))
  return q.toString()
}
