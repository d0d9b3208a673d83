import { timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { PoisonguardError } from '../errors.js'
import { authenticateToken, type Permission, type Principal, roleAllows, roleOf } from '../store/access.js'
import type { Role } from '../store/schema.js'
import { authenticateSession } from '../store/sessions.js'
import type { Store } from '../store/store.js'
import type { IntakeQueue } from './queue.js'
import type { RequestLimits } from './rate-limit.js'

/** What a route handler gets: its validated input, the caller, and the services. */
export interface RouteContext<P, Q, B> {
  params: P
  query: Q
  body: B
  principal: Principal
  /** The caller's role in the route's project (routes that need one). */
  role: Role | undefined
  store: Store
  queue: IntakeQueue
  reply: FastifyReply
}

/** Who may call a route: anyone, any valid token, a server administrator, or a project permission. */
export type RouteAccess<P> =
  | { kind: 'public' }
  | { kind: 'user' }
  | { kind: 'server-admin' }
  | { kind: 'project'; permission: Permission; projectOf: (params: P, store: Store) => Promise<string> }

/** One API route: its shape (for validation and the OpenAPI document), its access rule and its handler. */
export interface RouteSpec<P = unknown, Q = unknown, B = unknown> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** Fastify path, e.g. `/v1/projects/:projectId`. */
  url: string
  summary: string
  tag: string
  params?: z.ZodType<P>
  query?: z.ZodType<Q>
  body?: z.ZodType<B>
  access: RouteAccess<P>
  /** Status of a successful response; default 200. */
  status?: number
  handler: (context: RouteContext<P, Q, B>) => Promise<unknown>
}

/** Declares a route with its types inferred from its schemas. */
export function defineRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined>(
  spec: RouteSpec<P, Q, B>,
): RouteSpec<P, Q, B> {
  return spec
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return value as T
  const result = schema.safeParse(value ?? {})
  if (result.success) return result.data
  const issues = result.error.issues.map((issue) => ({
    message: issue.message,
    path: [where, ...issue.path.map(String)].join('.'),
  }))
  throw new PoisonguardError(
    'INVALID_ARGUMENT',
    `invalid request ${where}: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
    {
      issues,
    },
  )
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (!header) return undefined
  const match = /^Bearer (\S+)$/.exec(header)
  return match?.[1]
}

/** The name of the session cookie the web login sets. */
export const SESSION_COOKIE = 'pg_session'

/** The value of one cookie of the request, if sent. */
export function cookieOf(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=')
    if (key === name) return value.join('=')
  }
  return undefined
}

function sameText(first: string, second: string): boolean {
  const [a, b] = [Buffer.from(first), Buffer.from(second)]
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * The caller: a bearer token, else a session cookie. A browser sends cookies with any request to the server, so a
 * state change through a session must also carry the session's CSRF token, which only the page itself can read.
 */
async function principalOf(request: FastifyRequest, store: Store): Promise<Principal | undefined> {
  const token = bearerToken(request)
  if (token) return authenticateToken(store.db, token)
  const sessionId = cookieOf(request, SESSION_COOKIE)
  if (!sessionId) return undefined
  const session = await authenticateSession(store.db, sessionId)
  if (!session) return undefined
  const sent = request.headers['x-csrf-token']
  if (request.method !== 'GET' && (typeof sent !== 'string' || !sameText(sent, session.csrfToken)))
    throw new PoisonguardError(
      'FORBIDDEN',
      'a state change through a browser session needs its x-csrf-token header',
    )
  return session.principal
}

const anonymous: Principal = {
  userId: '',
  userName: '',
  isAdmin: false,
  tokenId: '',
  scopes: [],
  projectId: null,
}

/** What a route handler's call needs besides the request: the store, the job queue and the request rate limits. */
export interface RouteServices {
  store: Store
  queue: IntakeQueue
  limits: RequestLimits
}

/**
 * Authenticates and authorises a request for a route; returns the caller and its project role. Each request
 * counts against its caller's rate limits (its address's, without valid credentials) before any project lookup.
 */
export async function authorize<P>(
  request: FastifyRequest,
  access: RouteAccess<P>,
  params: P,
  { store, limits }: Pick<RouteServices, 'store' | 'limits'>,
): Promise<{ principal: Principal; role: Role | undefined }> {
  if (access.kind === 'public') {
    limits.takeAnonymous(request.ip)
    return { principal: anonymous, role: undefined }
  }
  const principal = await principalOf(request, store)
  if (!principal) {
    limits.takeAnonymous(request.ip)
    throw new PoisonguardError(
      'UNAUTHORIZED',
      'a valid API token (Authorization: Bearer <token>) or login session is required',
      {
        hint: 'the token may be unknown, expired or revoked; ask for a new one',
      },
    )
  }
  limits.takeCaller(principal)
  const needed = request.method === 'GET' ? 'read' : 'write'
  if (!principal.scopes.includes(needed))
    throw new PoisonguardError('FORBIDDEN', `this token lacks the "${needed}" scope this request needs`)
  if (access.kind === 'user') return { principal, role: undefined }
  if (access.kind === 'server-admin') {
    if (!principal.isAdmin) throw new PoisonguardError('FORBIDDEN', 'only a server administrator may do this')
    return { principal, role: undefined }
  }
  const projectId = await access.projectOf(params, store)
  if (principal.projectId !== null && principal.projectId !== projectId)
    throw new PoisonguardError('FORBIDDEN', 'this token is limited to another project')
  const role = await roleOf(store.db, projectId, principal.userId)
  if (!role || !roleAllows(role, access.permission))
    throw new PoisonguardError(
      'FORBIDDEN',
      `${role ? `the ${role} role` : 'a non-member'} may not ${access.permission.replace('.', ' ')} in this project`,
    )
  return { principal, role }
}

/** Validates a request against a route's schemas, authorises it and runs the handler. */
export async function handleRoute<P, Q, B>(
  spec: RouteSpec<P, Q, B>,
  request: FastifyRequest,
  reply: FastifyReply,
  services: RouteServices,
): Promise<unknown> {
  const params = parse(spec.params, request.params, 'params')
  // Authorisation comes before the query and body are read, so a caller without access learns nothing from them.
  const { principal, role } = await authorize(request, spec.access, params, services)
  const query = parse(spec.query, request.query, 'query')
  const body = parse(spec.body, request.body, 'body')
  const { store, queue } = services
  const result = await spec.handler({ params, query, body, principal, role, reply, store, queue })
  reply.status(spec.status ?? 200)
  return result
}

/** A uuid path parameter. */
export const uuid = z.string().uuid()
