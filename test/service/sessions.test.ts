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
