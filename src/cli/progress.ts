import { createRequire } from 'node:module'
import type { CliIo } from './io.js'

export interface ProgressReporter {
  update(step: string, fractionDone: number): void
  stop(): void
}

const silent: ProgressReporter = { update() {}, stop() {} }

/** Seconds left of a step from its own pace so far; empty until it has moved. */
function remaining(elapsedSeconds: number, fractionDone: number): string {
  if (fractionDone <= 0 || fractionDone >= 1 || elapsedSeconds < 1) return ''
  const seconds = Math.round((elapsedSeconds * (1 - fractionDone)) / fractionDone)
  const text =
    seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`
  return ` | ETA ${text}`
}

/**
 * A progress bar on stderr for long steps, shown only on an interactive terminal and never with --quiet. Steps can
 * interleave (the model's folds run while detectors do), so each step's ETA comes from that step's own start.
 */
export function createProgressReporter(io: CliIo, quiet: boolean): ProgressReporter {
  if (quiet || !io.interactive) return silent
  // Loaded only for a bar that will be drawn: the package and its text-width helpers are about twenty modules and
  // 8 ms of CPU on the scan's thread, while the other core is busy booting the workers.
  const { SingleBar } = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress')
  const bar = new SingleBar({
    format: ' {step} [{bar}] {percentage}% | {duration_formatted}{remaining}',
    hideCursor: true,
    clearOnComplete: true,
    stream: process.stderr,
  })
  const startedAt = new Map<string, number>()
  let started = false
  return {
    update(step, fractionDone) {
      const now = Date.now()
      if (!startedAt.has(step)) startedAt.set(step, now)
      const left = remaining((now - startedAt.get(step)!) / 1000, fractionDone)
      const value = Math.round(fractionDone * 100)
      if (!started) {
        bar.start(100, value, { step, remaining: left })
        started = true
      } else {
        bar.update(value, { step, remaining: left })
      }
    },
    stop() {
      if (started) bar.stop()
    },
  }
}
