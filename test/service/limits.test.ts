import { connect } from 'node:net'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { answerClientError } from '../../src/server/errors.js'
import { createToken, createUser } from '../../src/store/access.js'
import { cleanBatchCsv } from './data.js'
import { type ProjectSetup, setUpProject, submitAndWait } from './flow.js'
import { startTestService, type TestService } from './harness.js'

/*
 * What keeps one client or source from harming the service: body size, quotas, rate limits, source quarantine,
 * and requests that are wrong in every way getting a coded 4xx instead of a 500 with a stack.
 */
describe('limits and malformed requests', () => {
  let t: TestService
  let setup: ProjectSetup
  const logLines: string[] = []
  beforeAll(async () => {
    t = await startTestService({
      limits: { bodyLimit: 96 << 10 },
      logLevel: 'info',
      logStream: { write: (line) => logLines.push(line) },
    })
    setup = await setUpProject(t, {
      requireSigned: false,
      maxBatchRows: 50,
      maxBatchesPerHour: 3,
      quarantineSourceAfter: 2,
    })
  })
  afterAll(() => t.stop())

  const submit = (csv: string) =>
    t.call('POST', `/v1/datasets/${setup.datasetId}/batches`, {
      token: setup.contributorToken,
      body: { sourceId: setup.sourceId, format: 'csv', data: csv },
    })

  test('a body over the limit is refused with 413 before it is read', async () => {
    const response = await submit(cleanBatchCsv(0, 1000))
    expect(response.status).toBe(413)
    expect(response.body.error.code).toBe('FST_ERR_CTP_BODY_TOO_LARGE')
  })

  test('broken JSON, a wrong field and an unknown route get coded 4xx errors without stacks', async () => {
    const broken = await fetch(`${t.service.url}/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
      body: '{"scopes": [',
    })
    expect(broken.status).toBe(400)
    const brokenBody = (await broken.json()) as { error: { code: string } }
    expect(brokenBody.error.code).toMatch(/^FST_ERR_CTP_/)
    const wrong = await t.call('POST', `/v1/datasets/${setup.datasetId}/batches`, {
      token: setup.contributorToken,
      body: { sourceId: 'nope', format: 'xlsx', data: '' },
    })
    expect(wrong.status).toBe(400)
    expect(wrong.body.error.code).toBe('INVALID_ARGUMENT')
    expect(wrong.body.error.issues.map((issue: { path: string }) => issue.path).sort()).toEqual([
      'body.data',
      'body.format',
      'body.sourceId',
    ])
    const badId = await t.call('GET', '/v1/batches/not-a-uuid', { token: t.adminToken })
    expect(badId.status).toBe(400)
    const unknown = await t.call('GET', '/v1/nothing-here', { token: t.adminToken })
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe('NOT_FOUND')
    for (const body of [brokenBody, wrong.body, badId.body, unknown.body])
      expect(JSON.stringify(body)).not.toMatch(/\.ts:\d+|node_modules/)
  })

  test('a batch over the row quota is refused with 429 and the limit named', async () => {
    const response = await submit(cleanBatchCsv(400, 60))
    expect(response.status).toBe(429)
    expect(response.body.error.message).toMatch(/60 rows; the project allows at most 50/)
  })

  test('a source that keeps failing is quarantined whole, and released by an admin', async () => {
    // Batches with a drifted schema (a missing column) fail the gate; two in a row quarantine the source.
    const broken = cleanBatchCsv(400, 20).replace(/^id,label,/, 'id,kind,')
    for (let attempt = 0; attempt < 2; attempt++)
      expect((await submitAndWait(t, setup, broken)).status).toBe('quarantined')
    const sources = await t.call('GET', `/v1/projects/${setup.projectId}/sources`, { token: t.adminToken })
    expect(sources.body.sources[0].status).toBe('quarantined')
    const refused = await submit(cleanBatchCsv(420, 20))
    expect(refused.status).toBe(403)
    expect(refused.body.error.message).toMatch(/quarantined/)
    const released = await t.call('POST', `/v1/sources/${setup.sourceId}/release`, { token: t.adminToken })
    expect(released.body.status).toBe('active')
    const entries = await t.service.store.auditEntries()
    const actions = entries.map((row) => JSON.parse(row.entry))
    expect(actions.filter((entry) => entry.action === 'source.quarantine')).toEqual([
      expect.objectContaining({ actor: 'system', subject: `source:${setup.sourceId}` }),
    ])
  })

  test('the per-source rate limit refuses the batch after the hourly allowance', async () => {
    // Two batches were sent in the test above; one more is allowed this hour, then 429.
    expect((await submit(cleanBatchCsv(440, 20))).status).toBe(202)
    const limited = await submit(cleanBatchCsv(460, 20))
    expect(limited.status).toBe(429)
    expect(limited.body.error.message).toMatch(/3 batches in the last hour; the limit is 3/)
    await t.service.queue.idle()
  })

  test('the log records requests but never a token or a record', () => {
    const log = logLines.join('')
    expect(log).toContain('"url":"/v1/datasets/')
    expect(log).not.toContain(setup.contributorToken)
    expect(log).not.toContain(t.adminToken)
    expect(log).not.toContain(cleanBatchCsv(400, 20).split('\n')[3])
  })
})

/** Per-token, per-user and per-address request limits, with time stopped so only the counts decide. */
describe('request rate limits', () => {
  let t: TestService
  const tokens: Record<'first' | 'second' | 'other', string> = { first: '', second: '', other: '' }
  beforeAll(async () => {
    t = await startTestService({ limits: { rates: { perToken: 5, perUser: 8, anonymous: 4, now: () => 0 } } })
    // Users and tokens straight in the store: the administrator's own requests would count against its limits.
    const db = t.service.store.db
    const limited = await createUser(db, 'busy', false)
    tokens.first = (await createToken(db, limited, { scopes: ['read'] })).token
    tokens.second = (await createToken(db, limited, { scopes: ['read'] })).token
    tokens.other = (await createToken(db, await createUser(db, 'calm', false), { scopes: ['read'] })).token
  })
  afterAll(() => t.stop())

  const statuses = async (count: number, token: string) => {
    const seen: number[] = []
    for (let request = 0; request < count; request++)
      seen.push((await t.call('GET', '/v1/me', { token })).status)
    return seen
  }

  test('a token over its limit gets a coded 429 with Retry-After; the same user has the rest of its own', async () => {
    expect(await statuses(5, tokens.first)).toEqual([200, 200, 200, 200, 200])
    const refused = await fetch(`${t.service.url}/v1/me`, {
      headers: { authorization: `Bearer ${tokens.first}` },
    })
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    const body = (await refused.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('RATE_LIMITED')
    expect(body.error.message).toMatch(/this token made more than 5 requests a minute/)
    expect(await statuses(4, tokens.second)).toEqual([200, 200, 200, 429])
    const userLimited = await t.call('GET', '/v1/me', { token: tokens.second })
    expect(userLimited.body.error.message).toMatch(/this user made more than 8 requests a minute/)
  })

  test("another user's token is not held back by the busy one", async () => {
    expect(await statuses(2, tokens.other)).toEqual([200, 200])
  })

  test('calls without valid credentials are limited per address, logins included', async () => {
    expect(await statuses(3, 'pgt_not-a-real-token')).toEqual([401, 401, 401])
    const login = await t.call('POST', '/v1/session', {
      body: { name: 'busy', password: 'not the password' },
    })
    expect(login.status).toBe(401)
    const refused = await t.call('POST', '/v1/session', {
      body: { name: 'busy', password: 'not the password' },
    })
    expect(refused.status).toBe(429)
    expect(refused.body.error.code).toBe('RATE_LIMITED')
    expect((await t.call('GET', '/v1/me', { token: tokens.other })).status).toBe(200)
  })
})

/** Requests Node's HTTP parser refuses before any route sees them still get the coded JSON error. */
describe('requests refused before routing', () => {
  let t: TestService
  beforeAll(async () => {
    t = await startTestService()
  })
  afterAll(() => t.stop())

  const raw = (request: string) =>
    new Promise<string>((resolve, reject) => {
      const { port } = new URL(t.service.url)
      const socket = connect(Number(port), '127.0.0.1', () => socket.end(request))
      let answer = ''
      socket.on('data', (chunk) => {
        answer += chunk
      })
      socket.on('close', () => resolve(answer))
      socket.on('error', reject)
    })
  const parse = (answer: string) => ({
    status: Number(answer.split(' ')[1]),
    body: JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)),
  })

  test('broken HTTP gets 400 BAD_REQUEST', async () => {
    const answer = parse(await raw('GET /v1/me HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n'))
    expect(answer).toEqual({ status: 400, body: { error: expect.objectContaining({ code: 'BAD_REQUEST' }) } })
  })

  test('oversized headers get 431 HEADERS_TOO_LARGE', async () => {
    const answer = parse(await raw(`GET /v1/me HTTP/1.1\r\nHost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`))
    expect(answer.status).toBe(431)
    expect(answer.body.error.code).toBe('HEADERS_TOO_LARGE')
  })

  test("the router's own refusals have the coded shape: an undecodable URL, an over-long path parameter", async () => {
    const badUrl = await t.call('GET', '/v1/batches/%E0%A4%A', { token: t.adminToken })
    expect(badUrl).toEqual({
      status: 400,
      body: { error: expect.objectContaining({ code: 'FST_ERR_BAD_URL' }) },
    })
    const longParam = await t.call('GET', `/v1/batches/${'a'.repeat(200)}`, { token: t.adminToken })
    expect(longParam.status).toBe(414)
    expect(longParam.body.error.code).toBe('FST_ERR_MAX_PARAM_LENGTH')
  })

  test('a request that outlives the timeout gets 408 REQUEST_TIMEOUT', () => {
    const written: string[] = []
    const socket = Object.assign(new PassThrough(), {
      write: (text: string) => written.push(text) > 0,
    })
    // Node's server destroys the socket with the error; here nobody else listens for it.
    socket.on('error', () => {})
    const error = Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' })
    answerClientError(error, socket)
    expect(socket.destroyed).toBe(true)
    const answer = parse(written.join(''))
    expect(answer.status).toBe(408)
    expect(answer.body.error.code).toBe('REQUEST_TIMEOUT')
  })
})
