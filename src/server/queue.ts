import type { FastifyBaseLogger as Logger } from 'fastify'
import { PoisonguardError } from '../errors.js'
import { pendingBatchIds } from '../store/catalog.js'
import { redactUrl } from '../store/open.js'
import type { Store } from '../store/store.js'
import { processBatch } from '../workflows/intake-decisions.js'

/*
 * Intake jobs. The store is the durable record: a batch is `pending` until its decision commits, so after a crash
 * or restart every pending batch is queued again. In-process by default; on BullMQ (Redis) when a URL is given, so
 * worker processes elsewhere can take the jobs.
 */

/** Where submitted batches wait for the intake pipeline. */
export interface IntakeQueue {
  enqueue(batchId: string): Promise<void>
  /** Resolves when nothing is queued or running (in-process; BullMQ resolves at once). */
  idle(): Promise<void>
  close(): Promise<void>
}

const MAX_ATTEMPTS = 3

/** Runs jobs one at a time in this process; a failed job is retried, then left pending for the next start. */
export class InProcessQueue implements IntakeQueue {
  private tail: Promise<void> = Promise.resolve()
  private closed = false

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  /** Queues every batch still pending in the store. */
  async resume(): Promise<number> {
    const pending = await pendingBatchIds(this.store.db)
    for (const batchId of pending) await this.enqueue(batchId)
    return pending.length
  }

  async enqueue(batchId: string): Promise<void> {
    this.tail = this.tail.then(() => this.run(batchId))
  }

  private async run(batchId: string): Promise<void> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS && !this.closed; attempt++) {
      try {
        const outcome = await processBatch(this.store, batchId)
        this.log.info({ batchId, outcome }, 'intake finished')
        return
      } catch (error) {
        this.log.warn(
          { batchId, attempt, code: (error as PoisonguardError).code, message: (error as Error).message },
          'intake failed',
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
          const outcome = await processBatch(store, job.data.batchId as string)
          log.info({ batchId: job.data.batchId, outcome }, 'intake finished')
        },
        { connection, prefix, concurrency: 1 },
      )
    : undefined
  worker?.on('failed', (job, error) =>
    log.warn({ batchId: job?.data.batchId, message: error.message }, 'intake failed'),
  )
  const enqueue = async (batchId: string) => {
    // The batch id is the job id, so a batch queued twice (a restart, two servers) runs once.
    await queue.add(
      'batch',
      { batchId },
      {
        jobId: batchId,
        attempts: MAX_ATTEMPTS,
        backoff: { type: 'exponential', delay: 500 },
        removeOnComplete: 1000,
      },
    )
  }
  for (const batchId of await pendingBatchIds(store.db)) await enqueue(batchId)
  return {
    enqueue,
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
async function pingRedis(connection: ReturnType<typeof redisConnection>, url: string): Promise<void> {
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
      'INVALID_ARGUMENT',
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

function redisConnection(url: string) {
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
