import { hash, randomBytes, randomUUID } from 'node:crypto'
import { PoisonguardError } from '../errors.js'
import type { Role } from './schema.js'
import type { Db } from './store.js'

/** What a caller may do in a project; each route asks for exactly one of these. */
export type Permission =
  | 'project.read'
  | 'project.manage'
  | 'member.manage'
  | 'dataset.manage'
  | 'source.manage'
  | 'batch.submit'
  | 'batch.read'
  | 'batch.review'
  | 'version.read'
  | 'version.export'
  | 'audit.read'

const readOnly: readonly Permission[] = ['project.read', 'batch.read', 'version.read', 'audit.read']

/**
 * The authorisation matrix: the one place that says which role may do what. A contributor's `batch.submit` and
 * `batch.read` are further limited to the sources it owns, which the routes check against the source.
 */
export const rolePermissions: Readonly<Record<Role, readonly Permission[]>> = {
  owner: [
    ...readOnly,
    'project.manage',
    'member.manage',
    'dataset.manage',
    'source.manage',
    'batch.submit',
    'batch.review',
    'version.export',
  ],
  admin: [
    ...readOnly,
    'member.manage',
    'dataset.manage',
    'source.manage',
    'batch.submit',
    'batch.review',
    'version.export',
  ],
  reviewer: [...readOnly, 'batch.review'],
  contributor: ['project.read', 'batch.submit', 'batch.read'],
  viewer: readOnly,
}

export const roles = Object.keys(rolePermissions) as Role[]

/** Whether `role` grants `permission`. */
export function roleAllows(role: Role, permission: Permission): boolean {
  return rolePermissions[role].includes(permission)
}

/** A token's scopes: `read` for GET routes, `write` for every state change. */
export type TokenScope = 'read' | 'write'

/** The caller behind a valid token. */
export interface Principal {
  userId: string
  userName: string
  isAdmin: boolean
  tokenId: string
  scopes: readonly TokenScope[]
  /** Set when the token is limited to one project. */
  projectId: string | null
}

const TOKEN_PREFIX = 'pgt_'

/** SHA-256 of a token: 256 random bits need no slow hash, and the table never holds a usable token. */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex')
}

export async function createUser(db: Db, name: string, isAdmin: boolean): Promise<string> {
  const existing = await db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirst()
  if (existing) throw new PoisonguardError('CONFLICT', `a user named ${JSON.stringify(name)} already exists`)
  const id = randomUUID()
  await db
    .insertInto('users')
    .values({
      id,
      name,
      is_admin: isAdmin ? 1 : 0,
      password_hash: null,
      created_at: new Date().toISOString(),
    })
    .execute()
  return id
}

/** Options of a new API token. */
export interface TokenOptions {
  scopes: readonly TokenScope[]
  projectId?: string | null
  /** Lifetime; default 90 days. */
  ttlSeconds?: number
}

/** Issues a 256-bit random token; returns it once (only its hash is stored) with its id. */
export async function createToken(
  db: Db,
  userId: string,
  options: TokenOptions,
): Promise<{ id: string; token: string; expiresAt: string }> {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`
  const id = randomUUID()
  const now = Date.now()
  const expiresAt = new Date(now + (options.ttlSeconds ?? 90 * 86_400) * 1000).toISOString()
  await db
    .insertInto('tokens')
    .values({
      id,
      user_id: userId,
      token_hash: hashToken(token),
      scopes: JSON.stringify([...options.scopes].sort()),
      project_id: options.projectId ?? null,
      expires_at: expiresAt,
      revoked_at: null,
      created_at: new Date(now).toISOString(),
    })
    .execute()
  return { id, token, expiresAt }
}

/** The principal of a token, or undefined for an unknown, expired or revoked one (the caller cannot tell which). */
export async function authenticateToken(
  db: Db,
  token: string,
  now = new Date(),
): Promise<Principal | undefined> {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined
  const row = await db
    .selectFrom('tokens')
    .innerJoin('users', 'users.id', 'tokens.user_id')
    .select([
      'tokens.id as tokenId',
      'tokens.scopes',
      'tokens.project_id',
      'tokens.expires_at',
      'tokens.revoked_at',
      'users.id as userId',
      'users.name',
      'users.is_admin',
    ])
    .where('tokens.token_hash', '=', hashToken(token))
    .executeTakeFirst()
  if (!row || row.revoked_at !== null || row.expires_at <= now.toISOString()) return undefined
  return {
    userId: row.userId,
    userName: row.name,
    isAdmin: row.is_admin === 1,
    tokenId: row.tokenId,
    scopes: JSON.parse(row.scopes) as TokenScope[],
    projectId: row.project_id,
  }
}

/** Revokes a token of `userId` (admins may revoke any); returns false when there was no such live token. */
export async function revokeToken(db: Db, tokenId: string, principal: Principal): Promise<boolean> {
  let query = db
    .updateTable('tokens')
    .set({ revoked_at: new Date().toISOString() })
    .where('id', '=', tokenId)
    .where('revoked_at', 'is', null)
  if (!principal.isAdmin) query = query.where('user_id', '=', principal.userId)
  const result = await query.executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

export async function roleOf(db: Db, projectId: string, userId: string): Promise<Role | undefined> {
  const row = await db
    .selectFrom('members')
    .select('role')
    .where('project_id', '=', projectId)
    .where('user_id', '=', userId)
    .executeTakeFirst()
  return row?.role
}

/** Gives `userId` a role in the project, replacing any earlier one. */
export async function setRole(db: Db, projectId: string, userId: string, role: Role): Promise<void> {
  const user = await db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst()
  if (!user) throw new PoisonguardError('NOT_FOUND', `no user with id ${userId}`)
  await db.deleteFrom('members').where('project_id', '=', projectId).where('user_id', '=', userId).execute()
  await db.insertInto('members').values({ project_id: projectId, user_id: userId, role }).execute()
}
