import { type Severity, severityOrder } from '../domain/index.js'
import { isPoisonguardError } from '../errors.js'
import type { ScanFileResult } from './scan-file.js'

/** The process exit codes every command shares; this is the one place that maps outcomes to them. */
export const ExitCode = {
  ok: 0,
  /** Bad input or usage; the message says what to fix and no output file is left behind. */
  badInput: 1,
  /** Anything unexpected: a bug to report. */
  internal: 2,
  /** A finding reached the `--fail-on` severity. */
  findingsAtFailOn: 3,
  /** Data, a manifest or a lineage link did not verify. */
  verificationFailed: 4,
} as const

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** Bad input or usage for the typed errors of poisonguard; internal for anything else. */
export function exitCodeForError(error: unknown): ExitCode {
  return isPoisonguardError(error) ? ExitCode.badInput : ExitCode.internal
}

/** `findingsAtFailOn` when any severity reaches `failOn`; ok otherwise, and always without `failOn`. */
export function exitCodeForFindings(
  severities: Iterable<Severity | null | undefined>,
  failOn: Severity | undefined,
): ExitCode {
  if (!failOn) return ExitCode.ok
  const threshold = severityOrder.indexOf(failOn)
  for (const severity of severities)
    if (severity && severityOrder.indexOf(severity) >= threshold) return ExitCode.findingsAtFailOn
  return ExitCode.ok
}

/** ok for a verified dataset, manifest or lineage; `verificationFailed` otherwise. */
export function exitCodeForVerification(verified: boolean): ExitCode {
  return verified ? ExitCode.ok : ExitCode.verificationFailed
}

/** The exit code of a scan: verification failed, a record at or above `failOn`, or ok. */
export function exitCodeForScan(result: ScanFileResult, failOn: Severity | undefined): ExitCode {
  if (result.status === 'verification-failed') return ExitCode.verificationFailed
  return exitCodeForFindings(
    result.report.records.map((record) => record.severity),
    failOn,
  )
}
