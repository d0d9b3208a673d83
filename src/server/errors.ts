import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { type ErrorCode, isPoisonguardError } from '../errors.js'
import { RateLimitedError } from './rate-limit.js'

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string; hint?: string; issues?: { message: string; path?: string }[] }
}

/** The one map from error code to HTTP status; any code not listed is the client's input (400). */
const statusOfCode: Partial<Record<ErrorCode, number>> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  QUOTA_EXCEEDED: 429,
  RATE_LIMITED: 429,
  TAMPERED: 500,
  MISSING_DEPENDENCY: 500,
  UNAVAILABLE: 503,
  JOB_FAILED: 500,
}

/** Status and body for any thrown error: typed errors say what was wrong, anything else only that it failed. */
export function errorResponse(error: unknown): {
  status: number
  body: ErrorBody
  internal: boolean
  headers?: Record<string, string>
} {
  if (isPoisonguardError(error)) {
    return {
      ...(error instanceof RateLimitedError
        ? { headers: { 'retry-after': String(error.retryAfterSeconds) } }
        : {}),
      status: statusOfCode[error.code] ?? 400,
      body: {
        error: {
          code: error.code,
          message: error.message,
          ...(error.hint ? { hint: error.hint } : {}),
          ...(error.issues.length > 1
            ? { issues: error.issues.map((issue) => ({ message: issue.message, path: issue.path })) }
            : {}),
        },
      },
      internal: statusOfCode[error.code] === 500,
    }
  }
  const fastifyError = error as FastifyError
  // Fastify's own request errors (body too large, bad JSON, wrong content type) are 4xx with a code of their own.
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    return {
      status: fastifyError.statusCode,
      body: { error: { code: fastifyError.code ?? 'BAD_REQUEST', message: fastifyError.message } },
      internal: false,
    }
  }
  return {
    status: 500,
    body: {
      error: { code: 'INTERNAL', message: 'an internal error occurred; the server log has the details' },
    },
    internal: true,
  }
}

/** What a request that never reached the router was refused for: [status, code, message]. */
function clientErrorOf(error: { code?: string }): [number, string, string] {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return [
      408,
      'REQUEST_TIMEOUT',
      'the request took longer than the server allows; send it faster or smaller',
    ]
  if (error.code === 'HPE_HEADER_OVERFLOW')
    return [431, 'HEADERS_TOO_LARGE', 'the request headers are larger than the server allows']
  return [400, 'BAD_REQUEST', 'the request is not valid HTTP']
}

/**
 * Answers a request Node's HTTP parser refused before the router saw it (a timeout, oversized headers, broken
 * HTTP) with the same coded JSON error as every route, then closes the connection.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const [status, code, message] = clientErrorOf(error)
  const body = JSON.stringify({ error: { code, message } } satisfies ErrorBody)
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    )
  socket.destroy(error)
}

/** Answers the router's own refusals (an undecodable URL, an over-long path parameter) in the coded error shape. */
export function answerFrameworkError(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
  const response = errorResponse(error)
  reply.status(response.status).send(response.body)
}
