import { constants } from 'node:os'

/** A synchronous undo step: a signal handler cannot wait for promises, the process ends right after it. */
export type InterruptCleanup = () => void

const SIGNALS = ['SIGINT', 'SIGTERM'] as const
const pending = new Set<InterruptCleanup>()

/**
 * Runs the pending cleanups, newest first, then lets the signal do what it would have done: with no other
 * listener the default action ends the process (exit status 128 + signal number for the shell).
 */
function onSignal(signal: NodeJS.Signals): void {
  for (const cleanup of [...pending].reverse()) {
    try {
      cleanup()
    } catch {
      // Best effort: the process is going down, and one failed removal must not keep the others from running.
    }
  }
  pending.clear()
  detach()
  process.exitCode = 128 + constants.signals[signal]
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}

function attach(): void {
  for (const signal of SIGNALS) process.on(signal, onSignal)
}

function detach(): void {
  for (const signal of SIGNALS) process.removeListener(signal, onSignal)
}

/**
 * Registers `cleanup` to run if SIGINT or SIGTERM arrives before the returned release function is called. The
 * handlers exist only while some cleanup is pending, so outside of a write the signals keep their default action.
 */
export function cleanUpOnInterrupt(cleanup: InterruptCleanup): () => void {
  if (pending.size === 0) attach()
  pending.add(cleanup)
  return () => {
    if (!pending.delete(cleanup)) return
    if (pending.size === 0) detach()
  }
}
