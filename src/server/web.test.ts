import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { useTemporaryFolder } from '../../test/fixtures/files.js'
import { registerWebApp, WEB_CSP } from './web.js'

const temporary = useTemporaryFolder()

function appServing(root: string) {
  const app = Fastify()
  registerWebApp(app, root)
  return app
}

describe('the review app files', () => {
  it('are served with their content type, the policy, and caching only for hashed assets', async () => {
    const root = temporary('web')
    mkdirSync(join(root, 'assets'), { recursive: true })
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>app</title>')
    writeFileSync(join(root, 'assets', 'index-abc.js'), 'export {}')
    writeFileSync(join(root, 'assets', 'index-abc.css'), 'body{}')
    writeFileSync(join(root, 'assets', 'notes.txt'), 'not served')
    const app = appServing(root)
    const index = await app.inject({ url: '/' })
    expect([index.statusCode, index.headers['content-type'], index.headers['cache-control']]).toEqual([
      200,
      'text/html; charset=utf-8',
      'no-cache',
    ])
    expect(index.headers['content-security-policy']).toBe(WEB_CSP)
    const script = await app.inject({ url: '/assets/index-abc.js' })
    expect([script.headers['content-type'], script.headers['cache-control']]).toEqual([
      'text/javascript; charset=utf-8',
      'public, max-age=31536000, immutable',
    ])
    expect((await app.inject({ url: '/assets/index-abc.css' })).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    )
    for (const url of ['/assets/notes.txt', '/assets/../index.html', '/assets/%2e%2e/index.html'])
      expect((await app.inject({ url })).statusCode, url).toBe(404)
  })

  it('answer with how to build them when the package was not built', async () => {
    const response = await appServing(join(temporary('empty'), 'missing')).inject({ url: '/' })
    expect(response.statusCode).toBe(404)
    expect(response.json().error.hint).toMatch(/npm run build/)
  })
})
