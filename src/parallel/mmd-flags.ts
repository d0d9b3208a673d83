/* Slots of the flags `mmd-worker` raises as it goes. A module of its own, importing nothing, so that the worker
   can raise them even when the test's modules fail to load. */

/** Slots of `MmdWorkerData.flags`. */
export const FLAG = {
  /** Goes up by one after each message the calling thread waits for: kernel work to take part in, or the answer. */
  posted: 0,
  /** Goes up as soon as the worker runs. */
  started: 1,
  /** Goes up once the answer is posted, or none will come. */
  finished: 2,
} as const
