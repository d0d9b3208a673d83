/*
 * The one way the app talks to the server: same-origin JSON over the session cookie, which script cannot read.
 * Every state change carries the session's CSRF token, which the login answered with and the tab keeps.
 */

const CSRF_KEY = 'poisonguard-csrf'

/** A refusal or failure the server explained: its status, code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** Calls the API; resolves with the parsed JSON body, or rejects with the server's error. */
export async function api<T>(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  const changes = method !== 'GET'
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      ...(changes && method !== 'DELETE' ? { 'content-type': 'application/json' } : {}),
      ...(changes ? { 'x-csrf-token': sessionStorage.getItem(CSRF_KEY) ?? '' } : {}),
    },
    body: changes && method !== 'DELETE' ? JSON.stringify(body ?? {}) : undefined,
  })
  const text = await response.text()
  const json = text ? JSON.parse(text) : undefined
  if (!response.ok)
    throw new ApiError(
      response.status,
      json?.error?.code ?? 'ERROR',
      json?.error?.message ?? response.statusText,
    )
  return json as T
}

/** Logs in; the server sets the session cookie and returns the CSRF token this tab sends with every change. */
export async function logIn(name: string, password: string): Promise<void> {
  const session = await api<{ csrfToken: string }>('POST', '/v1/session', { name, password })
  sessionStorage.setItem(CSRF_KEY, session.csrfToken)
}

export async function logOut(): Promise<void> {
  try {
    await api('DELETE', '/v1/session')
  } finally {
    sessionStorage.removeItem(CSRF_KEY)
  }
}
