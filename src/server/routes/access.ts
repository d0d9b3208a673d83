import { z } from 'zod'
import { PoisonguardError } from '../../errors.js'
import { createToken, createUser, revokeToken, roles, setRole } from '../../store/access.js'
import { getProject } from '../../store/catalog.js'
import {
  confirmCurrentPassword,
  endSessionsOf,
  hashPassword,
  login,
  logout,
  setPassword,
  storePasswordHash,
} from '../../store/sessions.js'
import { cookieOf, defineRoute, SESSION_COOKIE, uuid } from '../route.js'

const scopes = z.array(z.enum(['read', 'write'])).min(1)

const tokenRequest = z
  .object({
    scopes: scopes.default(['read', 'write']),
    projectId: uuid.optional().describe('limit the token to this project'),
    ttlSeconds: z
      .number()
      .int()
      .min(60)
      .max(400 * 86_400)
      .optional()
      .describe('lifetime; default 90 days'),
  })
  .strict()

/** The session cookie: script cannot read it, other sites never send it, and only TLS carries it behind TLS. */
function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`
}

/** Users, tokens, browser sessions and project roles. */
export const accessRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/session',
    summary:
      'log in with a user name and password: sets an HttpOnly session cookie and returns its CSRF token',
    tag: 'access',
    body: z.object({ name: z.string().min(1).max(100), password: z.string().min(1).max(1000) }).strict(),
    access: { kind: 'public' },
    handler: async ({ body, store, reply }) => {
      // The failed attempt must be recorded even though the login throws, so it is not one transaction.
      const { userId, session } = await login(store.db, body.name, body.password)
      await store.transaction((trx) =>
        store.appendAudit(trx, { actor: userId, action: 'session.login', subject: `user:${userId}` }),
      )
      const maxAge = Math.round((Date.parse(session.expiresAt) - Date.now()) / 1000)
      reply.header('set-cookie', sessionCookie(session.sessionId, maxAge, reply.request.protocol === 'https'))
      return { csrfToken: session.csrfToken, expiresAt: session.expiresAt }
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/v1/session',
    summary: 'log out: ends the session of the cookie sent',
    tag: 'access',
    access: { kind: 'user' },
    handler: async ({ store, reply }) => {
      const sessionId = cookieOf(reply.request, SESSION_COOKIE)
      if (sessionId) await logout(store.db, sessionId)
      reply.header('set-cookie', sessionCookie('', 0, reply.request.protocol === 'https'))
      return { loggedOut: Boolean(sessionId) }
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/me',
    summary: 'who the token belongs to',
    tag: 'access',
    access: { kind: 'user' },
    handler: async ({ principal }) => ({
      id: principal.userId,
      name: principal.userName,
      admin: principal.isAdmin,
      scopes: principal.scopes,
      projectId: principal.projectId,
    }),
  }),
  defineRoute({
    method: 'PUT',
    url: '/v1/me/password',
    summary:
      'change your password: the current one is required (and throttled like a login); every session of yours ends',
    tag: 'access',
    body: z
      .object({
        currentPassword: z.string().min(1).max(1000),
        newPassword: z.string().min(12).max(1000),
      })
      .strict(),
    access: { kind: 'user' },
    handler: async ({ body, store, principal, reply }) => {
      // A wrong current password is recorded as a failed login even though this throws, so it is not in the transaction.
      await confirmCurrentPassword(store.db, principal.userId, body.currentPassword)
      if (body.newPassword === body.currentPassword)
        throw new PoisonguardError('INVALID_ARGUMENT', 'the new password is the current one; choose another')
      const passwordHash = await hashPassword(body.newPassword)
      const sessionsEnded = await store.transaction(async (trx) => {
        await storePasswordHash(trx, principal.userId, passwordHash)
        const ended = await endSessionsOf(trx, principal.userId)
        await store.appendAudit(trx, {
          actor: principal.userId,
          action: 'user.password',
          subject: `user:${principal.userId}`,
          details: { sessionsEnded: ended },
        })
        return ended
      })
      if (cookieOf(reply.request, SESSION_COOKIE))
        reply.header('set-cookie', sessionCookie('', 0, reply.request.protocol === 'https'))
      return { changed: true, sessionsEnded }
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/users',
    summary: 'create a user and its first token (shown once)',
    tag: 'access',
    status: 201,
    body: z
      .object({
        name: z.string().min(1).max(100),
        admin: z.boolean().default(false),
        password: z
          .string()
          .min(12)
          .max(1000)
          .optional()
          .describe('for the web login; stored as an scrypt hash'),
        token: tokenRequest.default({ scopes: ['read', 'write'] }),
      })
      .strict(),
    access: { kind: 'server-admin' },
    handler: async ({ body, store, principal }) =>
      store.transaction(async (trx) => {
        const id = await createUser(trx, body.name, body.admin)
        if (body.password) await setPassword(trx, id, body.password)
        const token = await createToken(trx, id, body.token)
        await store.appendAudit(trx, {
          actor: principal.userId,
          action: 'user.create',
          subject: `user:${id}`,
          details: { name: body.name, admin: body.admin },
        })
        return { id, name: body.name, token: token.token, tokenId: token.id, expiresAt: token.expiresAt }
      }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/tokens',
    summary: 'issue a new token for yourself (shown once; stored hashed)',
    tag: 'access',
    status: 201,
    body: tokenRequest,
    access: { kind: 'user' },
    handler: async ({ body, store, principal }) =>
      store.transaction(async (trx) => {
        const token = await createToken(trx, principal.userId, body)
        await store.appendAudit(trx, {
          actor: principal.userId,
          action: 'token.create',
          subject: `token:${token.id}`,
          details: { scopes: body.scopes },
        })
        return token
      }),
  }),
  defineRoute({
    method: 'DELETE',
    url: '/v1/tokens/:tokenId',
    summary: 'revoke a token (your own; administrators any)',
    tag: 'access',
    params: z.object({ tokenId: uuid }),
    access: { kind: 'user' },
    handler: async ({ params, store, principal }) =>
      store.transaction(async (trx) => {
        if (!(await revokeToken(trx, params.tokenId, principal)))
          throw new PoisonguardError('NOT_FOUND', `no live token ${params.tokenId} of yours`)
        await store.appendAudit(trx, {
          actor: principal.userId,
          action: 'token.revoke',
          subject: `token:${params.tokenId}`,
        })
        return { revoked: params.tokenId }
      }),
  }),
  defineRoute({
    method: 'PUT',
    url: '/v1/projects/:projectId/members/:userId',
    summary: "set a user's role in the project (only an owner grants or changes owner)",
    tag: 'access',
    params: z.object({ projectId: uuid, userId: uuid }),
    body: z.object({ role: z.enum(roles as [string, ...string[]]) }).strict(),
    access: { kind: 'project', permission: 'member.manage', projectOf: async (params) => params.projectId },
    handler: async ({ params, body, store, principal, role }) => {
      const next = body.role as (typeof roles)[number]
      return store.transaction(async (trx) => {
        await getProject(trx, params.projectId)
        const current = await trx
          .selectFrom('members')
          .select('role')
          .where('project_id', '=', params.projectId)
          .where('user_id', '=', params.userId)
          .executeTakeFirst()
        if (role !== 'owner' && (next === 'owner' || current?.role === 'owner'))
          throw new PoisonguardError('FORBIDDEN', 'only an owner may grant the owner role or change an owner')
        await setRole(trx, params.projectId, params.userId, next)
        await store.appendAudit(trx, {
          actor: principal.userId,
          action: 'member.role',
          subject: `project:${params.projectId}`,
          details: { user: params.userId, role: next, previous: current?.role ?? null },
        })
        return { projectId: params.projectId, userId: params.userId, role: next }
      })
    },
  }),
]
