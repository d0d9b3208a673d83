import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Store } from '../store/store.js'
import { answerClientError, answerFrameworkError, errorResponse } from './errors.js'
import { openApiDocument } from './openapi.js'
import type { IntakeQueue } from './queue.js'
import { RequestLimits, type RequestRates } from './rate-limit.js'
import { handleRoute, type RouteSpec } from './route.js'
import { accessRoutes } from './routes/access.js'
import { annotationRoutes } from './routes/annotations.js'
import { auditRoutes } from './routes/audit.js'
import { batchRoutes } from './routes/batches.js'
import { catalogRoutes } from './routes/catalog.js'
import { guardRoutes } from './routes/guard.js'
import { reviewRoutes } from './routes/review.js'
import { registerWebApp } from './web.js'

/** Every API route, in the order the OpenAPI document lists them. */
export const apiRoutes = [
  ...accessRoutes,
  ...catalogRoutes,
  ...batchRoutes,
  ...annotationRoutes,
  ...auditRoutes,
  ...reviewRoutes,
  ...guardRoutes,
] as unknown as readonly RouteSpec<unknown, unknown, unknown>[]

/** Limits that keep one client from exhausting the server. */
export interface ServerLimits {
  /** Largest request body in bytes (a batch upload is one body); default 64 MiB. */
  bodyLimit?: number
  /** Time for a whole request, in milliseconds; default 120 s. */
  requestTimeout?: number
  /** Time a connection may idle, in milliseconds; default 60 s. */
  connectionTimeout?: number
  /** Requests a minute per token, per user and per address without credentials. */
  rates?: RequestRates
}

export interface ServerOptions {
  store: Store
  queue: IntakeQueue
  logger: FastifyBaseLogger
  limits?: ServerLimits
  /**
   * Behind a reverse proxy that terminates TLS: trust its `X-Forwarded-*` headers, so the session cookie is marked
   * `Secure` and the log shows the client's address.
   */
  trustProxy?: boolean
}

/** Builds the HTTP service: routes validate, authorise, call a library workflow and respond; nothing else. */
export function buildServer(options: ServerOptions): FastifyInstance {
  const limits = options.limits ?? {}
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: limits.bodyLimit ?? 64 << 20,
    requestTimeout: limits.requestTimeout ?? 120_000,
    connectionTimeout: limits.connectionTimeout ?? 60_000,
    trustProxy: options.trustProxy ?? false,
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
  })
  const document = openApiDocument(apiRoutes)
  const services = { store: options.store, queue: options.queue, limits: new RequestLimits(limits.rates) }
  for (const spec of apiRoutes) {
    app.route({
      method: spec.method,
      url: spec.url,
      handler: (request, reply) => handleRoute(spec, request, reply, services),
    })
  }
  app.get('/openapi.json', async () => document)
  app.get('/healthz', async () => ({ ok: true }))
  registerWebApp(app)
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({
      error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` },
    })
  })
  app.setErrorHandler((error, request, reply) => {
    const response = errorResponse(error)
    if (response.internal) request.log.error({ err: error }, 'request failed')
    else request.log.info({ code: response.body.error.code }, 'request refused')
    reply
      .status(response.status)
      .headers(response.headers ?? {})
      .send(response.body)
  })
  return app
}
