import { isPoisonguardError, PoisonguardError } from '../errors.js'

/**
 * Fails with the typed `ABORTED` error once `signal` has been aborted. Long calls check it between steps (detectors,
 * cross-validation folds, benchmark cells), so an abort takes effect at the next step, not in the middle of one.
 */
export function throwIfAborted(signal: AbortSignal | undefined, during: string): void {
  if (!signal?.aborted) return
  const reason = signal.reason instanceof Error ? `: ${signal.reason.message}` : ''
  throw new PoisonguardError('ABORTED', `${during} was aborted${reason}`, {
    cause: signal.reason,
    hint: 'the caller aborted the operation; run it again to finish',
  })
}

/**
 * `onProgress` that first checks `signal`: readers report progress between chunks of a file, the natural points for
 * a long read to stop at without a check per record.
 */
export function progressCheckingAbort(
  signal: AbortSignal | undefined,
  during: string,
  onProgress?: (fractionDone: number) => void,
): ((fractionDone: number) => void) | undefined {
  if (!signal) return onProgress
  return (fractionDone) => {
    throwIfAborted(signal, during)
    onProgress?.(fractionDone)
  }
}

/** Whether an error is the one `throwIfAborted` throws; such an error passes through every layer unchanged. */
export function isAbortError(error: unknown): boolean {
  return isPoisonguardError(error) && error.code === 'ABORTED'
}
