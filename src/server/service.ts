import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { pino } from 'pino'
import { createToken, createUser } from '../store/access.js'
import { openStore } from '../store/open.js'
import type { Store } from '../store/store.js'
import { buildServer, type ServerLimits } from './app.js'
import { createBullQueue, InProcessQueue, type IntakeQueue } from './queue.js'

/** How to run the service; the flags of `poisonguard serve`. */
export interface ServiceOptions {
  port: number
  host?: string
  dataDir: string
  /** `postgres://…`; default the embedded SQLite database in `dataDir`. */
  db?: string
  pgSchema?: string
  /** `redis://…`: jobs on BullMQ; default an in-process queue. */
  queue?: string
  queuePrefix?: string
  masterKey?: string
  masterKeyFile?: string
  limits?: ServerLimits
  /** Trust `X-Forwarded-*` from a TLS-terminating proxy in front. */
  trustProxy?: boolean
  /** Log level; `silent` in tests. */
  logLevel?: string
  /** Where the JSON log lines go; default stdout. */
  logStream?: { write(line: string): void }
}

/** A running service. */
export interface RunningService {
  url: string
  app: FastifyInstance
  store: Store
  queue: IntakeQueue
  /** Set on the first start of an empty store: the administrator's token, also written to `adminTokenPath`. */
  adminToken?: string
  adminTokenPath?: string
  close(): Promise<void>
}

/**
 * The first start of an empty store creates the administrator `admin` and writes its token (mode 0600) into the
 * data folder: the only way in, shown once, never logged.
 */
async function bootstrapAdmin(
  store: Store,
  dataDir: string,
): Promise<{ token: string; path: string } | undefined> {
  const created = await store.transaction(async (trx) => {
    const anyUser = await trx.selectFrom('users').select('id').limit(1).executeTakeFirst()
    if (anyUser) return undefined
    const userId = await createUser(trx, 'admin', true)
    const token = await createToken(trx, userId, { scopes: ['read', 'write'] })
    await store.appendAudit(trx, {
      actor: 'system',
      action: 'user.create',
      subject: `user:${userId}`,
      details: { name: 'admin', admin: true },
    })
    return token.token
  })
  if (!created) return undefined
  const path = join(dataDir, 'admin-token')
  await writeFile(path, `${created}\n`, { mode: 0o600 })
  return { token: created, path }
}

/** Opens the store, resumes pending intake jobs, and listens. */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const logger = pino(
    { level: options.logLevel ?? 'info', redact: ['req.headers.authorization', 'req.headers.cookie'] },
    options.logStream ?? process.stdout,
  )
  const store = await openStore(options)
  let queue: IntakeQueue
  try {
    if (options.queue)
      queue = await createBullQueue(store, logger, {
        url: options.queue,
        prefix: options.queuePrefix,
        work: true,
      })
    else {
      const local = new InProcessQueue(store, logger)
      await local.resume()
      queue = local
    }
  } catch (error) {
    await store.close()
    throw error
  }
  const admin = await bootstrapAdmin(store, options.dataDir)
  const app = buildServer({ store, queue, logger, limits: options.limits, trustProxy: options.trustProxy })
  const address = await app.listen({ port: options.port, host: options.host ?? '127.0.0.1' })
  if (admin) logger.info({ path: admin.path }, 'created the administrator; its token is in this file')
  return {
    url: address,
    app,
    store,
    queue,
    adminToken: admin?.token,
    adminTokenPath: admin?.path,
    close: async () => {
      await app.close()
      await queue.close()
      await store.close()
    },
  }
}

/** A worker process: takes intake jobs from BullMQ and runs them against the shared store; no HTTP. */
export async function startWorker(
  options: Pick<
    ServiceOptions,
    'dataDir' | 'db' | 'pgSchema' | 'queuePrefix' | 'masterKey' | 'masterKeyFile' | 'logLevel'
  > & {
    queue: string
  },
): Promise<{ close(): Promise<void> }> {
  const logger = pino({ level: options.logLevel ?? 'info' })
  const store = await openStore(options)
  try {
    const queue = await createBullQueue(store, logger, {
      url: options.queue,
      prefix: options.queuePrefix,
      work: true,
    })
    return {
      close: async () => {
        await queue.close()
        await store.close()
      },
    }
  } catch (error) {
    await store.close()
    throw error
  }
}
