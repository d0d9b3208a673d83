import type { FastifyBaseLogger as Logger } from 'fastify'
import { PoisonguardError } from '../errors.js'
import { pendingBatchIds, pendingExportIds } from '../store/catalog.js'
import { redactUrl } from '../store/open.js'
import type { Store } from '../store/store.js'
import { processBatch } from '../workflows/intake-decisions.js'
import { processExport } from '../workflows/intake-exports.js'

/*
 * Intake jobs: batches and exports. The store is the durable record: a batch is `pending` until its decision
 * commits and an export until it is logged, so after a crash or restart every pending job is queued again. In-process by default; on BullMQ (Redis) when a URL is given, so
 * worker processes elsewhere can take the jobs.
 */

/** Where submitted batches wait for the intake pipeline and exports for their check. */
export interface IntakeQueue {
  enqueue(batchId: string): Promise<void>
  enqueueExport(exportId: string): Promise<void>
  /** Resolves when nothing is queued or running (in-process; BullMQ resolves at once). */
  idle(): Promise<void>
  close(): Promise<void>
}

const MAX_ATTEMPTS = 3

type JobKind = 'batch' | 'export'

/** Runs one job against the store; the log line names what it did. */
async function runJob(store: Store, log: Logger, kind: JobKind, id: string): Promise<void> {
  if (kind === 'batch') {
    const outcome = await processBatch(store, id)
    log.info({ batchId: id, outcome }, 'intake finished')
  } else {
    const status = await processExport(store, id)
    log.info({ exportId: id, status }, 'export finished')
  }
}

/** Every job still pending in the store, batches first. */
async function pendingJobs(store: Store): Promise<Array<{ kind: JobKind; id: string }>> {
  const batches = await pendingBatchIds(store.db)
  const exports = await pendingExportIds(store.db)
  return [
    ...batches.map((id) => ({ kind: 'batch' as const, id })),
    ...exports.map((id) => ({ kind: 'export' as const, id })),
  ]
}

/** Runs jobs one at a time in this process; a failed job is retried, then left pending for the next start. */
export class InProcessQueue implements IntakeQueue {
  private tail: Promise<void> = Promise.resolve()
  private closed = false

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  /** Queues every batch and export still pending in the store. */
  async resume(): Promise<number> {
    const pending = await pendingJobs(this.store)
    for (const job of pending) this.add(job.kind, job.id)
    return pending.length
  }

  async enqueue(batchId: string): Promise<void> {
    this.add('batch', batchId)
  }

  async enqueueExport(exportId: string): Promise<void> {
    this.add('export', exportId)
  }

  private add(kind: JobKind, id: string): void {
    this.tail = this.tail.then(() => this.run(kind, id))
  }

  private async run(kind: JobKind, id: string): Promise<void> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS && !this.closed; attempt++) {
      try {
        await runJob(this.store, this.log, kind, id)
        return
      } catch (error) {
        this.log.warn(
          { kind, id, attempt, code: (error as PoisonguardError).code, message: (error as Error).message },
          `${kind === 'batch' ? 'intake' : 'export'} failed`,
        )
      }
    }
  }

  idle(): Promise<void> {
    return this.tail
  }

  async close(): Promise<void> {
    this.closed = true
    await this.tail
  }
}

/** Queues jobs on BullMQ; with `work`, this process also runs them. */
export async function createBullQueue(
  store: Store,
  log: Logger,
  options: { url: string; prefix?: string; work: boolean },
): Promise<IntakeQueue> {
  let bullmq: typeof import('bullmq')
  try {
    bullmq = await import('bullmq')
  } catch (error) {
    throw new PoisonguardError(
      'MISSING_DEPENDENCY',
      `--queue ${redactUrl(options.url)} needs the packages "bullmq" and "ioredis", which could not be loaded`,
      {
        hint: 'install them next to poisonguard: npm install bullmq ioredis',
        cause: error,
      },
    )
  }
  const connection = redisConnection(options.url)
  await pingRedis(connection, options.url)
  const prefix = options.prefix ?? 'poisonguard'
  const queue = new bullmq.Queue('intake', { connection, prefix })
  await queue.waitUntilReady()
  const worker = options.work
    ? new bullmq.Worker(
        'intake',
        async (job) => {
          if (job.name === 'export') await runJob(store, log, 'export', job.data.exportId as string)
          else await runJob(store, log, 'batch', job.data.batchId as string)
        },
        { connection, prefix, concurrency: 1 },
      )
    : undefined
  worker?.on('failed', (job, error) =>
    log.warn(
      { kind: job?.name, id: job?.data.exportId ?? job?.data.batchId, message: error.message },
      'job failed',
    ),
  )
  const add = async (kind: JobKind, id: string) => {
    // The stored id is the job id, so a job queued twice (a restart, two servers) runs once; an export's id is
    // prefixed so it can never meet a batch's.
    await queue.add(kind, kind === 'batch' ? { batchId: id } : { exportId: id }, {
      jobId: kind === 'batch' ? id : `export-${id}`,
      attempts: MAX_ATTEMPTS,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: 1000,
    })
  }
  for (const job of await pendingJobs(store)) await add(job.kind, job.id)
  return {
    enqueue: (batchId) => add('batch', batchId),
    enqueueExport: (exportId) => add('export', exportId),
    idle: async () => {},
    close: async () => {
      await worker?.close()
      await queue.close()
    },
  }
}

/**
 * Fails fast with the address when Redis is unreachable: BullMQ's own connections retry forever, which would leave
 * `serve --queue` hanging at startup without a word.
 */
export async function pingRedis(connection: ReturnType<typeof redisConnection>, url: string): Promise<void> {
  const { Redis } = await import('ioredis')
  const probe = new Redis({
    ...connection,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 5000,
    lazyConnect: true,
  })
  // The connection's own error says why (refused, unknown host); the rejected command only says it closed.
  let cause: Error | undefined
  probe.on('error', (error: Error) => {
    cause = error
  })
  try {
    await probe.connect()
    await probe.ping()
  } catch (error) {
    throw new PoisonguardError(
      'UNAVAILABLE',
      `cannot reach Redis at ${redactUrl(url)}: ${(cause ?? (error as Error)).message}`,
      {
        hint: 'check that Redis runs and the URL is right',
        cause: error,
      },
    )
  } finally {
    probe.disconnect()
  }
}

export function redisConnection(url: string) {
  const parsed = new URL(url)
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
    // BullMQ workers block on Redis; they must wait rather than give up on a slow command.
    maxRetriesPerRequest: null,
  }
}
