import { SingleBar } from 'cli-progress'
import type { CliIo } from './io.js'

export interface ProgressReporter {
  update(step: string, fractionDone: number): void
  stop(): void
}

const silent: ProgressReporter = { update() {}, stop() {} }

/** A progress bar on stderr for long steps, shown only on an interactive terminal and never with --quiet. */
export function createProgressReporter(io: CliIo, quiet: boolean): ProgressReporter {
  if (quiet || !io.interactive) return silent
  const bar = new SingleBar({
    format: ' {step} [{bar}] {percentage}% | {duration_formatted} | ETA {eta_formatted}',
    etaBuffer: 20,
    hideCursor: true,
    clearOnComplete: true,
    stream: process.stderr,
  })
  let started = false
  let currentStep: string | undefined
  return {
    update(step, fractionDone) {
      const value = Math.round(fractionDone * 100)
      // Each step restarts the bar, so elapsed time and ETA are the step's own, not a blend of unlike phases.
      if (!started || step !== currentStep) {
        if (started) bar.stop()
        bar.start(100, value, { step })
        started = true
        currentStep = step
      } else {
        bar.update(value, { step })
      }
    },
    stop() {
      if (started) bar.stop()
    },
  }
}
