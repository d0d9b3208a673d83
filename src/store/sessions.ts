import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { PoisonguardError } from '../errors.js'
import { hashToken, type Principal } from './access.js'
import type { Db } from './store.js'

/*
 * The web login: passwords hashed with scrypt, sessions whose id lives only in an HttpOnly cookie (the table keeps
 * its hash), a CSRF token per session, and throttling of failed logins per user name.
 */

const SCRYPT = { N: 1 << 15, r: 8, p: 1, keyLength: 32, maxmem: 64 << 20 }
/** Failed logins per user name within `THROTTLE_WINDOW_MS` before further attempts are refused. */
export const MAX_LOGIN_FAILURES = 5
const THROTTLE_WINDOW_MS = 15 * 60_000
const SESSION_LIFETIME_MS = 12 * 3_600_000

function scryptHash(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, SCRYPT.keyLength, { N, r, p, maxmem: SCRYPT.maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  )
}

/** `scrypt$N$r$p$salt$hash` (base64) of a password with a fresh salt. */
export async function hashPassword(password: string): Promise<string> {
  if (password.length < 12)
    throw new PoisonguardError('INVALID_ARGUMENT', 'a password needs at least 12 characters')
  const salt = randomBytes(16)
  const key = await scryptHash(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p)
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$')
}

/** A hash no password matches (its key is all zeros), checked when the name is unknown. */
const DECOY_HASH = [
  'scrypt',
  SCRYPT.N,
  SCRYPT.r,
  SCRYPT.p,
  Buffer.alloc(16).toString('base64'),
  Buffer.alloc(32).toString('base64'),
].join('$')

async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [scheme, N, r, p, salt, expected] = stored.split('$')
  if (scheme !== 'scrypt') return false
  const key = await scryptHash(password, Buffer.from(salt, 'base64'), Number(N), Number(r), Number(p))
  return timingSafeEqual(key, Buffer.from(expected, 'base64'))
}

export async function setPassword(db: Db, userId: string, password: string): Promise<void> {
  await storePasswordHash(db, userId, await hashPassword(password))
}

/** Stores a hash from `hashPassword`: hashing is slow, so a caller hashes before its transaction opens. */
export async function storePasswordHash(db: Db, userId: string, passwordHash: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute()
}

/** A new browser session: its id goes into the cookie, its CSRF token to the page. */
export interface NewSession {
  sessionId: string
  csrfToken: string
  expiresAt: string
}

/**
 * The user whose name and password these are. Wrong names and wrong passwords fail alike and are recorded; after
 * `MAX_LOGIN_FAILURES` failures in 15 minutes a name is refused even with the right password until the window ends.
 */
async function checkPassword(db: Db, name: string, password: string, now: Date): Promise<{ id: string }> {
  const since = new Date(now.getTime() - THROTTLE_WINDOW_MS).toISOString()
  const failures = await db
    .selectFrom('login_failures')
    .select((eb) => eb.fn.countAll<string | number>().as('count'))
    .where('user_name', '=', name)
    .where('at', '>=', since)
    .executeTakeFirstOrThrow()
  if (Number(failures.count) >= MAX_LOGIN_FAILURES)
    throw new PoisonguardError(
      'QUOTA_EXCEEDED',
      'too many failed logins for this user; try again in 15 minutes',
    )
  const user = await db
    .selectFrom('users')
    .select(['id', 'password_hash'])
    .where('name', '=', name)
    .executeTakeFirst()
  // An unknown name costs the same scrypt as a known one, so timing does not tell which names exist.
  const ok = await passwordMatches(password, user?.password_hash ?? DECOY_HASH)
  if (!user?.password_hash || !ok) {
    await db.insertInto('login_failures').values({ user_name: name, at: now.toISOString() }).execute()
    throw new PoisonguardError('UNAUTHORIZED', 'wrong user name or password')
  }
  return user
}

/** Checks a user name and password (throttled as `checkPassword` says) and opens a session. */
export async function login(
  db: Db,
  name: string,
  password: string,
  now = new Date(),
): Promise<{ userId: string; session: NewSession }> {
  const user = await checkPassword(db, name, password, now)
  const session: NewSession = {
    sessionId: randomBytes(32).toString('base64url'),
    csrfToken: randomBytes(32).toString('base64url'),
    expiresAt: new Date(now.getTime() + SESSION_LIFETIME_MS).toISOString(),
  }
  await db
    .insertInto('sessions')
    .values({
      id_hash: hashToken(session.sessionId),
      user_id: user.id,
      csrf_token: session.csrfToken,
      expires_at: session.expiresAt,
      created_at: now.toISOString(),
    })
    .execute()
  return { userId: user.id, session }
}

/** The principal of a live session and its CSRF token, or undefined. */
export async function authenticateSession(
  db: Db,
  sessionId: string,
  now = new Date(),
): Promise<{ principal: Principal; csrfToken: string } | undefined> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['sessions.csrf_token', 'sessions.expires_at', 'users.id', 'users.name', 'users.is_admin'])
    .where('sessions.id_hash', '=', hashToken(sessionId))
    .executeTakeFirst()
  if (!row || row.expires_at <= now.toISOString()) return undefined
  return {
    principal: {
      userId: row.id,
      userName: row.name,
      isAdmin: row.is_admin === 1,
      tokenId: '',
      scopes: ['read', 'write'],
      projectId: null,
    },
    csrfToken: row.csrf_token,
  }
}

export async function logout(db: Db, sessionId: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', hashToken(sessionId)).execute()
}

/**
 * Checks a signed-in user's current password before it may be changed, with the login's throttling: a wrong
 * current password counts as a failed login of that name. Throws FORBIDDEN when it is wrong.
 */
export async function confirmCurrentPassword(
  db: Db,
  userId: string,
  password: string,
  now = new Date(),
): Promise<void> {
  const user = await db
    .selectFrom('users')
    .select(['name', 'password_hash'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow()
  if (!user.password_hash)
    throw new PoisonguardError(
      'CONFLICT',
      'this user has no password to change (it signs in with tokens only)',
      {
        hint: 'a server administrator gives a user its first password when creating it',
      },
    )
  try {
    await checkPassword(db, user.name, password, now)
  } catch (error) {
    if (error instanceof PoisonguardError && error.code === 'UNAUTHORIZED')
      throw new PoisonguardError('FORBIDDEN', 'the current password is wrong')
    throw error
  }
}

/** Ends every browser session of a user (after a password change: a stolen session must not outlive it). */
export async function endSessionsOf(db: Db, userId: string): Promise<number> {
  const result = await db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst()
  return Number(result.numDeletedRows)
}
