import type { ConnectionOptions, Queue } from 'bullmq'
import { importOptionalPackage } from '../io/optional-package.js'
import { pingRedis, redisConnection } from '../server/queue.js'
import { redactUrl } from '../store/open.js'
import { detectorQueueName, scanQueueName } from './jobs.js'

/** The BullMQ module, loaded when a distributed scan or a scan worker first needs it. */
export function loadBullmq(url: string): Promise<typeof import('bullmq')> {
  return importOptionalPackage('bullmq', `--workers ${redactUrl(url)}`, () => import('bullmq'))
}

/** A checked connection to the Redis at `url`: a bad address fails at once instead of retrying forever. */
export async function connectRedis(url: string): Promise<ConnectionOptions> {
  const connection = redisConnection(url)
  await pingRedis(connection, url)
  return connection
}

/**
 * A queue scan jobs wait in (`name`: the analysis jobs' by default, or the detector jobs'), under `prefix` (default
 * `poisonguard`, shared with the intake queue).
 */
export async function openScanQueue(
  url: string,
  prefix = 'poisonguard',
  name = scanQueueName,
): Promise<Queue> {
  const bullmq = await loadBullmq(url)
  const queue = new bullmq.Queue(name, { connection: await connectRedis(url), prefix })
  await queue.waitUntilReady()
  return queue
}

/** Both queues of scan jobs under `prefix`: the analysis jobs' and the detector jobs', in that order. */
export async function openScanQueues(url: string, prefix = 'poisonguard'): Promise<[Queue, Queue]> {
  const analyses = await openScanQueue(url, prefix)
  try {
    return [analyses, await openScanQueue(url, prefix, detectorQueueName)]
  } catch (error) {
    await analyses.close()
    throw error
  }
}
