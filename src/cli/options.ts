import { InvalidArgumentError } from 'commander'

/** Parses `a,b,c` into trimmed, non-empty names. */
export function parseList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
}

export function parsePositiveInteger(value: string): number {
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a positive integer')
  return parsed
}

export function parseShare(value: string): number {
  const parsed = Number(value)
  if (!(parsed >= 0 && parsed <= 1)) throw new InvalidArgumentError('expected a share between 0 and 1')
  return parsed
}

export function parseInteger(value: string): number {
  const parsed = Number(value)
  if (!Number.isInteger(parsed)) throw new InvalidArgumentError('expected an integer')
  return parsed
}

/** A `--param` value: JSON when it parses (numbers, booleans, lists), the text as given otherwise. */
function readParamValue(raw: string): unknown {
  try {
    return JSON.parse(raw)
  } catch {
    return raw
  }
}

/** Collects repeated `--param detector.name=value` flags into per-detector objects. */
export function collectDetectorParam(
  entry: string,
  collected: Record<string, Record<string, unknown>> = {},
): Record<string, Record<string, unknown>> {
  const match = /^([a-z0-9-]+)\.([A-Za-z0-9_]+)=(.*)$/.exec(entry)
  if (!match) throw new InvalidArgumentError('expected detector.param=value, e.g. knn-label-consistency.k=20')
  const [, detector, name, raw] = match
  collected[detector] = { ...collected[detector], [name]: readParamValue(raw) }
  return collected
}

/** Collects repeated `--param name=value` flags of one attack. */
export function collectAttackParam(
  entry: string,
  collected: Record<string, unknown> = {},
): Record<string, unknown> {
  const match = /^([A-Za-z][A-Za-z0-9_]*)=([\s\S]*)$/.exec(entry)
  if (!match) throw new InvalidArgumentError('expected name=value, e.g. size=4 or columns=["age","income"]')
  const [, name, raw] = match
  return { ...collected, [name]: readParamValue(raw) }
}

/** Help of `--excel-safe`, the same on every command that writes data rows. */
export const EXCEL_SAFE_HELP =
  "CSV outputs: prefix cells a spreadsheet would run as formulas (starting = + - @) with ' (see docs/inputs.md)"
