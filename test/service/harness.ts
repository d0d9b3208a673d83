import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type RunningService, type ServiceOptions, startService } from '../../src/server/service.js'

/*
 * The service under test runs for real: a fastify server on port 0 spoken to over HTTP, SQLite in a temporary
 * folder, or PostgreSQL and Redis on this machine (each test run in its own schema and queue prefix, removed after).
 * On a machine without PostgreSQL or Redis their suites are skipped, each saying which service it missed; where
 * POISONGUARD_REQUIRE_SERVICES is set (CI sets it) they run and fail saying what to start instead.
 */

export const POSTGRES_URL = process.env.POISONGUARD_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test'
export const REDIS_URL = process.env.POISONGUARD_TEST_REDIS ?? 'redis://127.0.0.1:6379'

// biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON whose shape each test asserts
export type Json = any

export type Backend = 'sqlite' | 'postgres' | 'postgres+redis'

/** Speaks to a running service over HTTP. */
export interface ApiClient {
  adminToken: string
  /** Sends a JSON request; returns status and parsed body. */
  call(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown },
  ): Promise<{ status: number; body: Json }>
  /** Polls a batch until the gate (or a failure) decided it. */
  waitForBatch(batchId: string, token: string): Promise<Json>
  /** Polls an export until the queue finished it (done or failed); returns the last answer. */
  waitForExport(exportId: string, token: string): Promise<{ status: number; body: Json }>
  /** Asks for a version's export and waits for it; a refused request is returned as it came. */
  exportVersion(versionId: string, token: string): Promise<{ status: number; body: Json }>
}

/** A client of the service at `url`. */
export function apiClient(url: string, adminToken: string): ApiClient {
  const call: ApiClient['call'] = async (method, path, { token, body } = {}) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, body: text ? JSON.parse(text) : undefined }
  }
  /** Asks for `path` until its job is no longer pending. */
  const poll = async (path: string, token: string) => {
    for (;;) {
      const response = await call('GET', path, { token })
      // A long scan polled this often meets the token's rate limit; a polite client waits and asks again.
      if (response.status !== 429 && response.body.status !== 'pending') return response
      await new Promise((resolve) => setTimeout(resolve, response.status === 429 ? 1000 : 50))
    }
  }
  const waitForExport: ApiClient['waitForExport'] = (exportId, token) =>
    poll(`/v1/exports/${exportId}`, token)
  return {
    adminToken,
    call,
    async waitForBatch(batchId, token) {
      return (await poll(`/v1/batches/${batchId}`, token)).body
    },
    waitForExport,
    async exportVersion(versionId, token) {
      const started = await call('POST', `/v1/versions/${versionId}/exports`, { token })
      if (started.status !== 202) return started
      return waitForExport(started.body.id, token)
    },
  }
}

/** A running test service with an HTTP client. */
export interface TestService extends ApiClient {
  service: RunningService
  dataDir: string
  /** What a restart needs to reopen the same store and queue. */
  restartOptions: StartOptions
  /** Stops the server (and, unless `keepData`, removes its data and schema). */
  stop(options?: { keepData?: boolean }): Promise<void>
}

/** Fails, saying what to do, when PostgreSQL is down: these suites must never pass by skipping. */
export async function requirePostgres(): Promise<void> {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: POSTGRES_URL })
  try {
    await client.connect()
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${POSTGRES_URL} (${(error as Error).message}); start it (CI does) or set POISONGUARD_TEST_POSTGRES`,
    )
  } finally {
    await client.end().catch(() => {})
  }
}

/** Fails, saying what to do, when Redis is down. */
export async function requireRedis(): Promise<void> {
  const { Redis } = await import('ioredis')
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  redis.on('error', () => {})
  try {
    await redis.connect()
    await redis.ping()
  } catch (error) {
    throw new Error(
      `Redis is not reachable at ${REDIS_URL} (${(error as Error).message}); start it (CI does) or set POISONGUARD_TEST_REDIS`,
    )
  } finally {
    redis.disconnect()
  }
}

async function problemWith(check: () => Promise<void>): Promise<string | undefined> {
  try {
    await check()
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}

const servicesDown = { postgres: await problemWith(requirePostgres), redis: await problemWith(requireRedis) }

/**
 * Why the suites of `backend` cannot run on this machine (printed once per suite), or undefined when they can, or
 * when POISONGUARD_REQUIRE_SERVICES asks them to run and fail instead.
 */
export function skipReason(backend: Backend, suite: string): string | undefined {
  if (process.env.POISONGUARD_REQUIRE_SERVICES) return undefined
  const reasons = [
    backend !== 'sqlite' ? servicesDown.postgres : undefined,
    backend === 'postgres+redis' ? servicesDown.redis : undefined,
  ].filter((reason): reason is string => reason !== undefined)
  if (reasons.length === 0) return undefined
  const reason = reasons.join('; ')
  console.warn(`skipping "${suite}": ${reason}`)
  return reason
}

/** Rows of one statement on a connection of its own (`url` may set a `search_path`). */
export async function queryPostgres<T>(
  sql: string,
  values: unknown[] = [],
  url = POSTGRES_URL,
): Promise<T[]> {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(sql, values)).rows as T[]
  } finally {
    await client.end()
  }
}

/**
 * A schema and a queue prefix of their own for one distributed-scan test file, and the store URL that puts its
 * tables in that schema; the tag keeps parallel runs apart.
 */
export function isolatedScanStore(name: string) {
  const tag = randomBytes(4).toString('hex')
  const schema = `scan_${name}_${tag}`
  return {
    schema,
    prefix: `pgtest-${name}-${tag}`,
    storeUrl: `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await queryPostgres(`drop schema if exists ${schema} cascade`)
}

/** Removes every key of a BullMQ prefix. */
export async function dropQueue(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis')
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
  try {
    const keys = await redis.keys(`${prefix}:*`)
    if (keys.length > 0) await redis.del(...keys)
  } finally {
    redis.disconnect()
  }
}

/** Removes what a stopped test service kept: its data folder, PostgreSQL schema and queue keys. */
export async function removeTestData(options: StartOptions): Promise<void> {
  if (options.dataDir) rmSync(options.dataDir, { recursive: true, force: true })
  if (options.pgSchema) await dropSchema(options.pgSchema)
  if (options.queuePrefix) await dropQueue(options.queuePrefix)
}

/** Options that let a restart reuse the same store. */
export interface StartOptions extends Partial<ServiceOptions> {
  backend?: Backend
  dataDir?: string
}

/** Starts the service on port 0 against a fresh (or the given) store. */
export async function startTestService(options: StartOptions = {}): Promise<TestService> {
  const backend = options.backend ?? 'sqlite'
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'poisonguard-service-'))
  const suffix = randomBytes(6).toString('hex')
  const pgSchema = options.pgSchema ?? (backend === 'sqlite' ? undefined : `pgtest_${suffix}`)
  const queuePrefix = options.queuePrefix ?? (backend === 'postgres+redis' ? `pgtest-${suffix}` : undefined)
  if (backend !== 'sqlite') await requirePostgres()
  if (backend === 'postgres+redis') await requireRedis()
  const service = await startService({
    port: 0,
    dataDir,
    logLevel: 'silent',
    ...(backend === 'sqlite' ? {} : { db: POSTGRES_URL, pgSchema }),
    ...(backend === 'postgres+redis' ? { queue: REDIS_URL, queuePrefix } : {}),
    ...options,
  })
  return {
    ...apiClient(service.url, service.adminToken ?? ''),
    service,
    dataDir,
    restartOptions: { backend, dataDir, pgSchema, queuePrefix },
    async stop({ keepData = false } = {}) {
      await service.close()
      if (!keepData) await removeTestData({ dataDir, pgSchema, queuePrefix })
    },
  }
}
