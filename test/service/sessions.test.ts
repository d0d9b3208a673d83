import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { MAX_LOGIN_FAILURES } from '../../src/store/sessions.js'
import { startTestService, type TestService } from './harness.js'

/** The web login over real HTTP: cookie flags, CSRF, throttling, logout, and passwords stored only as scrypt. */
describe('web login', () => {
  let t: TestService
  const password = 'correct horse battery staple'
  beforeAll(async () => {
    t = await startTestService()
    for (const name of ['reviewer-web', 'throttled'])
      expect(
        (await t.call('POST', '/v1/users', { token: t.adminToken, body: { name, password } })).status,
      ).toBe(201)
  })
  afterAll(() => t.stop())

  const login = (name: string, secret: string) =>
    fetch(`${t.service.url}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, password: secret }),
    })
  const withCookie = (
    cookie: string,
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: unknown,
  ) =>
    fetch(`${t.service.url}${path}`, {
      method,
      headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    })

  test('a session cookie is HttpOnly and SameSite=Strict, and state changes need its CSRF token', async () => {
    const response = await login('reviewer-web', password)
    expect(response.status).toBe(200)
    const setCookie = response.headers.get('set-cookie')!
    expect(setCookie).toMatch(/^pg_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/)
    const { csrfToken } = (await response.json()) as { csrfToken: string }
    const cookie = setCookie.split(';')[0]
    const me = await withCookie(cookie, 'GET', '/v1/me')
    expect(((await me.json()) as { name: string }).name).toBe('reviewer-web')
    const forged = await withCookie(cookie, 'POST', '/v1/tokens', {}, {})
    expect(forged.status).toBe(403)
    const wrongToken = await withCookie(cookie, 'POST', '/v1/tokens', { 'x-csrf-token': 'guess' }, {})
    expect(wrongToken.status).toBe(403)
    const real = await withCookie(cookie, 'POST', '/v1/tokens', { 'x-csrf-token': csrfToken }, {})
    expect(real.status).toBe(201)
    expect((await withCookie(cookie, 'DELETE', '/v1/session', { 'x-csrf-token': csrfToken })).status).toBe(
      200,
    )
    expect((await withCookie(cookie, 'GET', '/v1/me')).status).toBe(401)
  })

  test('passwords are stored as scrypt hashes, never as given', async () => {
    const rows = await t.service.store.db.selectFrom('users').select(['name', 'password_hash']).execute()
    const stored = rows.find((row) => row.name === 'reviewer-web')!.password_hash!
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$/)
    expect(JSON.stringify(rows)).not.toContain(password)
  })

  test(`after ${MAX_LOGIN_FAILURES} wrong passwords a name is throttled, even with the right one`, async () => {
    for (let attempt = 0; attempt < MAX_LOGIN_FAILURES; attempt++)
      expect((await login('throttled', 'wrong password!')).status).toBe(401)
    const throttled = await login('throttled', password)
    expect(throttled.status).toBe(429)
    expect(((await throttled.json()) as { error: { code: string } }).error.code).toBe('QUOTA_EXCEEDED')
    expect((await login('reviewer-web', password)).status).toBe(200)
  })

  test('an unknown name and a wrong password fail alike', async () => {
    const [unknown, wrong] = await Promise.all([
      login('nobody', password),
      login('reviewer-web', 'not the password'),
    ])
    expect([unknown.status, wrong.status]).toEqual([401, 401])
    expect(await unknown.json()).toEqual(await wrong.json())
  })
})

/** Changing a password: the current one is required and throttled like a login; every session of the user ends. */
describe('password change', () => {
  let t: TestService
  const first = 'the first long password'
  const second = 'the second long password'
  beforeAll(async () => {
    t = await startTestService()
    for (const name of ['changer', 'guessed'])
      expect(
        (await t.call('POST', '/v1/users', { token: t.adminToken, body: { name, password: first } })).status,
      ).toBe(201)
  })
  afterAll(() => t.stop())

  const login = async (name: string, password: string) => {
    const response = await fetch(`${t.service.url}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, password }),
    })
    if (response.status !== 200) return { status: response.status, cookie: '', csrfToken: '' }
    const { csrfToken } = (await response.json()) as { csrfToken: string }
    return { status: 200, cookie: response.headers.get('set-cookie')!.split(';')[0], csrfToken }
  }
  const change = (session: { cookie: string; csrfToken: string }, body: unknown) =>
    fetch(`${t.service.url}/v1/me/password`, {
      method: 'PUT',
      headers: {
        cookie: session.cookie,
        'x-csrf-token': session.csrfToken,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    })
  const me = (cookie: string) => fetch(`${t.service.url}/v1/me`, { headers: { cookie } })

  test('needs the current password; afterwards only the new one logs in and no old session is live', async () => {
    const here = await login('changer', first)
    const elsewhere = await login('changer', first)
    const wrong = await change(here, { currentPassword: 'not my password', newPassword: second })
    expect(wrong.status).toBe(403)
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toMatch(
      /current password is wrong/,
    )
    const changed = await change(here, { currentPassword: first, newPassword: second })
    expect(changed.status).toBe(200)
    expect(await changed.json()).toEqual({ changed: true, sessionsEnded: 2 })
    expect(changed.headers.get('set-cookie')).toMatch(/^pg_session=; .*Max-Age=0/)
    expect((await me(here.cookie)).status).toBe(401)
    expect((await me(elsewhere.cookie)).status).toBe(401)
    expect((await login('changer', first)).status).toBe(401)
    expect((await login('changer', second)).status).toBe(200)
  })

  test('the change is in the audit log, without either password', async () => {
    const entries = (await t.service.store.auditEntries()).map((row) => row.entry)
    const changes = entries
      .map((entry) => JSON.parse(entry))
      .filter((entry) => entry.action === 'user.password')
    expect(changes).toEqual([expect.objectContaining({ details: { sessionsEnded: 2 } })])
    expect(entries.join('')).not.toContain(second)
  })

  test('wrong current passwords count as failed logins, so guessing through it is throttled too', async () => {
    const session = await login('guessed', first)
    for (let attempt = 0; attempt < MAX_LOGIN_FAILURES; attempt++)
      expect(
        (await change(session, { currentPassword: `guess number ${attempt}`, newPassword: second })).status,
      ).toBe(403)
    const throttled = await change(session, { currentPassword: first, newPassword: second })
    expect(throttled.status).toBe(429)
    expect((await login('guessed', first)).status).toBe(429)
  })

  test('through a session it needs the CSRF token; a short new password or the same one is refused', async () => {
    const session = await login('changer', second)
    expect(
      (await change({ ...session, csrfToken: 'guess' }, { currentPassword: second, newPassword: first }))
        .status,
    ).toBe(403)
    const short = await change(session, { currentPassword: second, newPassword: 'short' })
    expect(short.status).toBe(400)
    const same = await change(session, { currentPassword: second, newPassword: second })
    expect(same.status).toBe(400)
    expect(((await same.json()) as { error: { code: string } }).error.code).toBe('INVALID_ARGUMENT')
  })

  test('a token-only user has no password to change', async () => {
    const tokenOnly = await t.call('POST', '/v1/users', { token: t.adminToken, body: { name: 'token-only' } })
    const refused = await t.call('PUT', '/v1/me/password', {
      token: tokenOnly.body.token,
      body: { currentPassword: 'anything at all', newPassword: second },
    })
    expect(refused.status).toBe(409)
    expect(refused.body.error.message).toMatch(/no password to change/)
  })
})

describe('web login behind a TLS-terminating proxy', () => {
  test('the session cookie is marked Secure when the proxy says the client spoke TLS', async () => {
    const t = await startTestService({ trustProxy: true })
    try {
      const password = 'another long password'
      await t.call('POST', '/v1/users', { token: t.adminToken, body: { name: 'behind-proxy', password } })
      const login = (proto: string) =>
        fetch(`${t.service.url}/v1/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-proto': proto },
          body: JSON.stringify({ name: 'behind-proxy', password }),
        })
      expect((await login('https')).headers.get('set-cookie')).toMatch(
        /; SameSite=Strict; Max-Age=\d+; Secure$/,
      )
      expect((await login('http')).headers.get('set-cookie')).not.toMatch(/Secure/)
    } finally {
      await t.stop()
    }
  })
})
