/**
 * Options of a long call that reports progress: the callback, and the same reports as standard events for code that
 * listens with `addEventListener` (a page, a worker relaying them).
 */
export interface ProgressOptions<Args extends unknown[] = [fractionDone: number]> {
  onProgress?: (...args: Args) => void
  /**
   * Each call of `onProgress` is also a `progress` `CustomEvent` on this target, in the same order; its `detail` is
   * `{ fractionDone }`, `{ step, fractionDone }` or the progress object the callback receives.
   */
  progressEvents?: EventTarget
}

/** `detail` of a progress event whose callback receives only the share done. */
export const fractionDetail = (fractionDone: number) => ({ fractionDone })

/** `detail` of a progress event whose callback receives a step and its share done. */
export const stepDetail = (step: string, fractionDone: number) => ({ step, fractionDone })

/**
 * The one callback a long call reports through: it calls `onProgress` and dispatches the same report as a `progress`
 * event. Without `progressEvents` it is `onProgress` itself, so internals that skip work when nobody listens still do.
 */
export function progressReporter<Args extends unknown[]>(
  options: ProgressOptions<Args>,
  detailOf: (...args: Args) => unknown,
): ((...args: Args) => void) | undefined {
  const { onProgress, progressEvents } = options
  if (!progressEvents) return onProgress
  return (...args) => {
    onProgress?.(...args)
    progressEvents.dispatchEvent(new CustomEvent('progress', { detail: detailOf(...args) }))
  }
}
