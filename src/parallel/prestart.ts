/**
 * Detector workers started before the scan's own code is loaded. A worker takes about a tenth of a second of CPU to
 * boot and load the folds' code, and the scan's thread about a third of a second to load its modules, with the
 * second core idle meanwhile: a worker started first boots on that core, and the scan's executor takes it over.
 * This module imports nothing of the scan, so starting the workers costs the scan's thread next to nothing.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'

/** The entry `createWorkerDetectorExecutor` starts by default. */
export const defaultDetectorWorkerUrl = new URL('./detector-worker.js', import.meta.url)

const waiting: { readonly worker: Worker; readonly url: string }[] = []

/**
 * Whether a worker entry can start: a file entry must exist. The TypeScript sources have no compiled worker, and a
 * worker that fails to start still costs a thread's boot before its tasks come back to the caller.
 */
export function workerEntryExists(url: URL): boolean {
  return url.protocol !== 'file:' || existsSync(fileURLToPath(url))
}

/**
 * Starts `count` workers of `url` for the next executor of that entry to take; they do not keep the process alive.
 * Nothing starts when the entry is not there (the TypeScript sources run without a compiled worker).
 */
export function prestartDetectorWorkers(count: number, url = defaultDetectorWorkerUrl): void {
  if (!workerEntryExists(url)) return
  for (let started = 0; started < count; started++) {
    const entry = { worker: new Worker(url), url: url.href }
    entry.worker.unref()
    const drop = () => {
      if (waiting.includes(entry)) waiting.splice(waiting.indexOf(entry), 1)
    }
    // A worker that cannot start is dropped here; the executor then starts one of its own.
    entry.worker.on('error', drop)
    entry.worker.on('exit', drop)
    waiting.push(entry)
  }
}

/** A worker of `url` started by `prestartDetectorWorkers` and still alive, now the caller's; else undefined. */
export function takePrestartedWorker(url: URL): Worker | undefined {
  const index = waiting.findIndex((entry) => entry.url === url.href)
  if (index < 0) return undefined
  const [{ worker }] = waiting.splice(index, 1)
  worker.removeAllListeners('error').removeAllListeners('exit')
  return worker
}
