import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { extname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply } from 'fastify'

/*
 * The review app: the files `npm run build` writes to dist/web (Vite), served from memory under one strict Content
 * Security Policy. The page may run only its own scripts and styles, talk only to this server, and show pictures
 * only from itself or `data:` URLs; nothing may frame it. Source and compiled server sit at the same depth, so
 * both find the built files at the package's dist/web.
 */

/** Where `npm run build` puts the review app. */
export const WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url))

/** The Content Security Policy of every page and asset of the review app. */
export const WEB_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
}

interface WebFile {
  contentType: string
  bytes: Buffer
  /** Vite names assets by their content hash, so they never change under one name. */
  immutable: boolean
}

function listFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(folder, entry.name)) : [join(folder, entry.name)],
  )
}

/**
 * The built files by URL path; empty when the app was not built, or while a build replaces it (the API must start
 * all the same).
 */
function loadWebFiles(root: string): Map<string, WebFile> {
  const files = new Map<string, WebFile>()
  if (!existsSync(root)) return files
  try {
    for (const path of listFiles(root)) {
      const contentType = CONTENT_TYPES[extname(path)]
      if (!contentType) continue
      const url = `/${relative(root, path).split(sep).join('/')}`
      files.set(url, { contentType, bytes: readFileSync(path), immutable: url.startsWith('/assets/') })
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    files.clear()
  }
  return files
}

function send(reply: FastifyReply, file: WebFile): FastifyReply {
  return reply
    .header('content-type', file.contentType)
    .header('content-security-policy', WEB_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .send(file.bytes)
}

/** Serves the review app at `/` and its assets; the API keeps its own prefix. */
export function registerWebApp(app: FastifyInstance, root = WEB_ROOT): void {
  const files = loadWebFiles(root)
  app.get('/', async (_request, reply) => {
    const index = files.get('/index.html')
    if (index) return send(reply, index)
    return reply.status(404).send({
      error: {
        code: 'NOT_FOUND',
        message: 'the review app is not built into this installation',
        hint: 'run `npm run build` in the package, which builds it into dist/web',
      },
    })
  })
  app.get('/assets/*', async (request, reply) => {
    const file = files.get(request.url.split('?')[0])
    if (file) return send(reply, file)
    return reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no file ${request.url}` } })
  })
}
