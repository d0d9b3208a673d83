import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { apiRoutes } from '../../src/server/app.js'
import { startTestService, type TestService } from './harness.js'

describe('the OpenAPI document', () => {
  let t: TestService
  beforeAll(async () => {
    t = await startTestService()
  })
  afterAll(() => t.stop())

  test('is served without a token and describes every route with the schemas that validate it', async () => {
    const { status, body: document } = await t.call('GET', '/openapi.json')
    expect(status).toBe(200)
    expect(document.openapi).toBe('3.1.0')
    const described = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    )
    expect(described.sort()).toEqual(
      apiRoutes.map((route) => `${route.method} ${route.url.replace(/:(\w+)/g, '{$1}')}`).sort(),
    )
    const submit = document.paths['/v1/datasets/{datasetId}/batches'].post
    expect(submit['x-permission']).toBe('batch.submit')
    const schema = submit.requestBody.content['application/json'].schema
    expect(schema.required.sort()).toEqual(['data', 'format', 'sourceId'])
    const ajv = new Ajv2020({ strict: false })
    addFormats.default(ajv)
    const validate = ajv.compile(schema)
    expect(
      validate({ sourceId: '00000000-0000-4000-8000-000000000000', format: 'csv', data: 'id\n1\n' }),
    ).toBe(true)
    expect(validate({ sourceId: 'x', format: 'xlsx', data: 'id\n1\n' })).toBe(false)
  })
})
