import { parentPort } from 'node:worker_threads'

/**
 * The worker side of `createTaskPool`: runs each task it is sent and posts back the result, moving the buffers
 * `transfer` lists. A failure is reported by id only; the pool then runs that task on its own thread, where the
 * typed error surfaces unchanged.
 */
export function serveTasks<Task, Result>(
  run: (task: Task) => Result,
  transfer: (result: Result) => ArrayBuffer[],
): void {
  const port = parentPort
  if (!port) return
  port.on('message', (message: { id: number; task: Task }) => {
    try {
      const result = run(message.task)
      port.postMessage({ id: message.id, result }, transfer(result))
    } catch {
      port.postMessage({ id: message.id, failed: true })
    }
  })
}
