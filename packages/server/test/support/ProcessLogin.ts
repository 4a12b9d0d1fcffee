/**
 * Logs a running service in as `username` (POST /v1/auth/login) and answers
 * the headers a browser would then send: the session cookie, and the CSRF
 * token for state-changing requests (docs/security.md).
 */
export const loginHeaders = async (base: string, username: string, password: string): Promise<Record<string, string>> => {
  const response = await fetch(`${base}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password })
  })
  const body = (await response.json()) as { data?: { principal?: { csrf_token?: string } } }
  const cookies = response.headers.getSetCookie().map((c) => c.split(";")[0]!).filter((c) => c.startsWith("mg_session="))
  const csrf = body.data?.principal?.csrf_token
  if (response.status !== 200 || cookies.length !== 1 || csrf === undefined) {
    throw new Error(`login as ${username} answered ${response.status}: ${JSON.stringify(body)}`)
  }
  return { cookie: cookies[0]!, "x-csrf-token": csrf }
}
