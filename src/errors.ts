/** Machine-readable error codes; the CLI maps every one of them to exit code 1 and the service each to an HTTP status, each in one place. */
export type ErrorCode =
  | 'FILE_NOT_FOUND'
  | 'UNKNOWN_FORMAT'
  | 'EMPTY_FILE'
  | 'PARSE_ERROR'
  | 'ENCODING_ERROR'
  | 'LINE_TOO_LONG'
  | 'INVALID_VALUE'
  | 'DUPLICATE_ID'
  | 'MISSING_COLUMN'
  | 'SHAPE_MISMATCH'
  | 'INVALID_IMAGE'
  | 'NOT_ENOUGH_DATA'
  | 'MISSING_INPUT'
  | 'UNKNOWN_NAME'
  | 'INVALID_ARGUMENT'
  | 'OUTPUT_ERROR'
  | 'MISSING_DEPENDENCY'
  | 'ABORTED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'QUOTA_EXCEEDED'
  | 'RATE_LIMITED'
  | 'TAMPERED'
  /** A server poisonguard was pointed at (PostgreSQL, Redis) could not be reached or refused the connection. */
  | 'UNAVAILABLE'
  /** Work handed to scan workers failed there after every retry. */
  | 'JOB_FAILED'

/** Where in the input a problem sits; every field is optional because not every input has rows or columns. */
export interface ErrorLocation {
  file?: string
  /** 1-based line number in a text file. */
  line?: number
  /** 1-based record number, header excluded. */
  row?: number
  column?: string
  path?: string
}

export interface ErrorIssue extends ErrorLocation {
  message: string
}

function describeLocation(location: ErrorLocation): string {
  const parts: string[] = []
  if (location.file) parts.push(location.file)
  if (location.line !== undefined) parts.push(`line ${location.line}`)
  if (location.row !== undefined) parts.push(`row ${location.row}`)
  if (location.column !== undefined) parts.push(`column "${location.column}"`)
  if (location.path) parts.push(location.path)
  return parts.join(', ')
}

/**
 * The one error family of poisonguard: a user-facing message (what was expected, what was found, where, how to
 * fix it), a stable `code`, and every issue found before giving up.
 */
export class PoisonguardError extends Error {
  readonly code: ErrorCode
  readonly issues: readonly ErrorIssue[]
  readonly hint?: string

  constructor(
    code: ErrorCode,
    message: string,
    options: { issues?: ErrorIssue[]; hint?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'PoisonguardError'
    this.code = code
    this.issues = options.issues ?? []
    this.hint = options.hint
  }

  /** Builds an error whose message starts with the location, e.g. `data.csv, line 4, column "x": …`. */
  static at(code: ErrorCode, location: ErrorLocation, message: string, hint?: string): PoisonguardError {
    const where = describeLocation(location)
    return new PoisonguardError(code, where ? `${where}: ${message}` : message, {
      issues: [{ ...location, message }],
      hint,
    })
  }

  /** The full text shown to a user: message, further issues, and the hint. */
  describe(): string {
    const lines = [this.message]
    for (const issue of this.issues.slice(1, 20))
      lines.push(`  - ${describeLocation(issue)}: ${issue.message}`)
    if (this.issues.length > 20) lines.push(`  … and ${this.issues.length - 20} more`)
    if (this.hint) lines.push(`hint: ${this.hint}`)
    return lines.join('\n')
  }
}

export function isPoisonguardError(error: unknown): error is PoisonguardError {
  return error instanceof PoisonguardError
}
