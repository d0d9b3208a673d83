import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { apiRoutes } from '../../src/server/app.js'
import { createToken, hashToken } from '../../src/store/access.js'
import { cleanBatchCsv } from './data.js'
import { createUserVia, type ProjectSetup, setUpProject } from './flow.js'
import { startTestService, type TestService } from './harness.js'

type Actor = 'owner' | 'admin' | 'reviewer' | 'contributor' | 'viewer' | 'outsider'
const actors: Actor[] = ['owner', 'admin', 'reviewer', 'contributor', 'viewer', 'outsider']
const all: Actor[] = ['owner', 'admin', 'reviewer', 'contributor', 'viewer']
const readers: Actor[] = ['owner', 'admin', 'reviewer', 'viewer']
const managers: Actor[] = ['owner', 'admin']

/**
 * The authorisation matrix, written out here independently of `rolePermissions`: for every project route, the
 * roles that may call it. Everyone else, including a user of no role in the project, gets 403.
 */
const projectMatrix: Record<string, Actor[]> = {
  'PUT /v1/projects/:projectId/members/:userId': managers,
  'GET /v1/projects/:projectId': all,
  'PUT /v1/projects/:projectId/policy': ['owner'],
  'POST /v1/projects/:projectId/datasets': managers,
  'GET /v1/projects/:projectId/datasets': all,
  'GET /v1/datasets/:datasetId': readers,
  'GET /v1/versions/:versionId': readers,
  'POST /v1/projects/:projectId/sources': managers,
  'GET /v1/projects/:projectId/sources': all,
  'POST /v1/sources/:sourceId/quarantine': managers,
  'POST /v1/sources/:sourceId/release': managers,
  'POST /v1/datasets/:datasetId/batches': ['owner', 'admin', 'contributor'],
  'GET /v1/batches/:batchId': all,
  'GET /v1/datasets/:datasetId/batches': all,
  'POST /v1/batches/:batchId/review': ['owner', 'admin', 'reviewer'],
  'POST /v1/datasets/:datasetId/annotations': ['owner', 'admin', 'contributor'],
  'GET /v1/datasets/:datasetId/crowd': readers,
  'POST /v1/versions/:versionId/exports': managers,
  'GET /v1/exports/:exportId': managers,
  'GET /v1/batches/:batchId/review-queue': readers,
  'POST /v1/batches/:batchId/decisions': ['owner', 'admin', 'reviewer'],
  'POST /v1/batches/:batchId/decisions/:decisionId/undo': ['owner', 'admin', 'reviewer'],
  'POST /v1/batches/:batchId/decisions/apply': ['owner', 'admin', 'reviewer'],
  'GET /v1/projects/:projectId/audit': readers,
}
/** Routes anyone may call. */
const publicRoutes = ['POST /v1/session']
/** Routes only a server administrator may call. */
const serverAdminRoutes = ['POST /v1/users', 'POST /v1/projects', 'GET /v1/audit/entries']
/** Routes any valid token may call. */
const userRoutes = [
  'DELETE /v1/session',
  'GET /v1/me',
  'PUT /v1/me/password',
  'GET /v1/projects',
  'POST /v1/tokens',
  'DELETE /v1/tokens/:tokenId',
  'GET /v1/audit/head',
  'GET /v1/audit/key',
  'GET /v1/audit/proofs/inclusion',
  'GET /v1/audit/proofs/consistency',
  'POST /v1/guard',
]

describe('authorisation', () => {
  let t: TestService
  let setup: ProjectSetup
  const tokens = {} as Record<Actor, string>
  const ids: Record<string, string> = {}

  beforeAll(async () => {
    t = await startTestService()
    setup = await setUpProject(t, { requireSigned: false })
    tokens.contributor = setup.contributorToken
    for (const actor of ['owner', 'admin', 'reviewer', 'viewer', 'outsider'] as const) {
      const user = await createUserVia(t, `matrix-${actor}`)
      tokens[actor] = user.token
      if (actor !== 'outsider') {
        const granted = await t.call('PUT', `/v1/projects/${setup.projectId}/members/${user.id}`, {
          token: t.adminToken,
          body: { role: actor },
        })
        expect(granted.status).toBe(200)
      }
    }
    const submitted = await t.call('POST', `/v1/datasets/${setup.datasetId}/batches`, {
      token: setup.contributorToken,
      body: { sourceId: setup.sourceId, format: 'csv', data: cleanBatchCsv(600, 30) },
    })
    await t.waitForBatch(submitted.body.id, setup.contributorToken)
    const dataset = await t.call('GET', `/v1/datasets/${setup.datasetId}`, { token: t.adminToken })
    const exported = await t.exportVersion(dataset.body.versions[0].id, t.adminToken)
    expect(exported.body.status).toBe('done')
    Object.assign(ids, {
      exportId: exported.body.id,
      projectId: setup.projectId,
      datasetId: setup.datasetId,
      sourceId: setup.sourceId,
      batchId: submitted.body.id,
      versionId: dataset.body.versions[0].id,
      userId: setup.contributorId,
      tokenId: '00000000-0000-4000-8000-000000000000',
      decisionId: '00000000-0000-4000-8000-000000000001',
    })
  })
  afterAll(() => t.stop())

  const request = (key: string, token: string | undefined) => {
    const [method, url] = key.split(' ')
    const path = url.replace(/:(\w+)/g, (_, name: string) => ids[name])
    const query = url.includes('proofs/inclusion')
      ? '?index=0'
      : url.includes('consistency')
        ? '?first=1'
        : ''
    return t.call(method, path + query, {
      token,
      body: method === 'GET' || method === 'DELETE' ? undefined : {},
    })
  }

  test('the matrix names every route of the API', () => {
    const routeKeys = apiRoutes.map((route) => `${route.method} ${route.url}`).sort()
    expect(
      [...Object.keys(projectMatrix), ...serverAdminRoutes, ...userRoutes, ...publicRoutes].sort(),
    ).toEqual(routeKeys)
  })

  test('every project route, called as every role, is allowed or refused as the matrix says', async () => {
    const outcome: Record<string, Record<string, string>> = {}
    const expected: Record<string, Record<string, string>> = {}
    for (const [key, allowed] of Object.entries(projectMatrix)) {
      outcome[key] = {}
      expected[key] = {}
      for (const actor of actors) {
        const { status } = await request(key, tokens[actor])
        expect(status, `${actor} ${key}`).toBeLessThan(500)
        outcome[key][actor] = status === 403 ? 'deny' : status === 401 ? 'unauthenticated' : 'allow'
        expected[key][actor] = allowed.includes(actor) ? 'allow' : 'deny'
      }
    }
    expect(outcome).toEqual(expected)
  })

  test('server-administrator routes refuse every project role', async () => {
    for (const key of serverAdminRoutes) {
      for (const actor of actors)
        expect((await request(key, tokens[actor])).status, `${actor} ${key}`).toBe(403)
      expect((await request(key, t.adminToken)).status, `admin ${key}`).not.toBe(403)
    }
  })

  test('every route but the open ones needs a valid token', async () => {
    for (const key of [...Object.keys(projectMatrix), ...serverAdminRoutes, ...userRoutes]) {
      for (const token of [undefined, 'pgt_not-a-real-token']) {
        const response = await request(key, token)
        expect(response.status, key).toBe(401)
        expect(response.body.error.code).toBe('UNAUTHORIZED')
      }
      for (const actor of actors)
        expect((await request(key, tokens[actor])).status, `${actor} ${key}`).not.toBe(401)
    }
    expect((await t.call('GET', '/openapi.json')).status).toBe(200)
  })

  test('a contributor acts only for its own sources', async () => {
    const other = await createUserVia(t, 'second-contributor')
    await t.call('PUT', `/v1/projects/${setup.projectId}/members/${other.id}`, {
      token: t.adminToken,
      body: { role: 'contributor' },
    })
    const submit = await t.call('POST', `/v1/datasets/${setup.datasetId}/batches`, {
      token: other.token,
      body: { sourceId: setup.sourceId, format: 'csv', data: cleanBatchCsv(700, 20) },
    })
    expect(submit.status).toBe(403)
    expect((await t.call('GET', `/v1/batches/${ids.batchId}`, { token: other.token })).status).toBe(403)
    const listed = await t.call('GET', `/v1/datasets/${setup.datasetId}/batches`, { token: other.token })
    expect(listed.body.batches).toEqual([])
  })

  test('an admin may not make anyone an owner; an owner may', async () => {
    const user = await createUserVia(t, 'promoted')
    const path = `/v1/projects/${setup.projectId}/members/${user.id}`
    expect((await t.call('PUT', path, { token: tokens.admin, body: { role: 'owner' } })).status).toBe(403)
    expect((await t.call('PUT', path, { token: tokens.owner, body: { role: 'owner' } })).status).toBe(200)
  })
})

describe('API tokens', () => {
  let t: TestService
  let setup: ProjectSetup
  beforeAll(async () => {
    t = await startTestService()
    setup = await setUpProject(t, { requireSigned: false })
  })
  afterAll(() => t.stop())

  test('are 256-bit random, shown once and stored only as a hash', async () => {
    const issued = await t.call('POST', '/v1/tokens', {
      token: setup.contributorToken,
      body: { scopes: ['read'] },
    })
    expect(issued.status).toBe(201)
    expect(Buffer.from(issued.body.token.slice('pgt_'.length), 'base64url')).toHaveLength(32)
    const rows = await t.service.store.db.selectFrom('tokens').selectAll().execute()
    expect(rows.find((row) => row.id === issued.body.id)?.token_hash).toBe(hashToken(issued.body.token))
    expect(JSON.stringify(rows)).not.toContain(issued.body.token.slice('pgt_'.length))
  })

  test('a read-scoped token reads but cannot change anything', async () => {
    const issued = await t.call('POST', '/v1/tokens', {
      token: setup.contributorToken,
      body: { scopes: ['read'] },
    })
    expect((await t.call('GET', '/v1/me', { token: issued.body.token })).status).toBe(200)
    const write = await t.call('POST', '/v1/tokens', { token: issued.body.token, body: {} })
    expect(write.status).toBe(403)
    expect(write.body.error.message).toMatch(/"write" scope/)
  })

  test('a token limited to one project is refused in another', async () => {
    const second = await t.call('POST', '/v1/projects', { token: t.adminToken, body: { name: 'second' } })
    const limited = await t.call('POST', '/v1/tokens', {
      token: t.adminToken,
      body: { projectId: setup.projectId },
    })
    expect(
      (await t.call('GET', `/v1/projects/${setup.projectId}`, { token: limited.body.token })).status,
    ).toBe(200)
    expect(
      (await t.call('GET', `/v1/projects/${second.body.id}`, { token: limited.body.token })).status,
    ).toBe(403)
    expect((await t.call('GET', `/v1/projects/${second.body.id}`, { token: t.adminToken })).status).toBe(200)
  })

  test('an expired token is refused', async () => {
    const me = await t.call('GET', '/v1/me', { token: setup.contributorToken })
    const expired = await createToken(t.service.store.db, me.body.id, { scopes: ['read'], ttlSeconds: -1 })
    expect((await t.call('GET', '/v1/me', { token: expired.token })).status).toBe(401)
  })

  test('a revoked token is refused from then on, and revoking is logged', async () => {
    const issued = await t.call('POST', '/v1/tokens', { token: setup.contributorToken, body: {} })
    expect((await t.call('GET', '/v1/me', { token: issued.body.token })).status).toBe(200)
    const revoked = await t.call('DELETE', `/v1/tokens/${issued.body.id}`, { token: setup.contributorToken })
    expect(revoked.status).toBe(200)
    expect((await t.call('GET', '/v1/me', { token: issued.body.token })).status).toBe(401)
    const entries = await t.service.store.auditEntries()
    expect(entries.some((row) => JSON.parse(row.entry).action === 'token.revoke')).toBe(true)
  })
})
