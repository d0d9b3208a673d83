import type { FastifyError } from 'fastify'
import { type ErrorCode, isPoisonguardError } from '../errors.js'

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
  TAMPERED: 500,
  MISSING_DEPENDENCY: 500,
}

/** Status and body for any thrown error: typed errors say what was wrong, anything else only that it failed. */
export function errorResponse(error: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (isPoisonguardError(error)) {
    return {
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
