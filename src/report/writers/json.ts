import type { ReportWriter } from './types.js'

/** The report itself as JSON, one key per line: the contract machines read. */
export const jsonWriter: ReportWriter<unknown> = {
  id: 'json',
  extension: '.json',
  render: (report) => `${JSON.stringify(report, null, 1)}\n`,
}

/**
 * The lines of `jsonWriter.render`, without their newlines, made one element at a time for the arrays directly
 * inside the report (a scan's `records`), so a million-record report never becomes one string. Everything else is
 * `JSON.stringify` of a part, indented to its depth: the bytes are the same.
 */
export function* jsonReportLines(report: unknown): Generator<string> {
  if (report === null || typeof report !== 'object' || Array.isArray(report) || hasToJson(report)) {
    const whole = JSON.stringify(report, null, 1)
    if (whole !== undefined) yield whole
    return
  }
  const record = report as Record<string, unknown>
  // A property JSON.stringify leaves out (undefined, a function) must not leave a comma behind.
  const shown: { key: string; text?: string; array?: unknown[] }[] = []
  for (const key of Object.keys(record)) {
    const value = record[key]
    if (Array.isArray(value) && !hasToJson(value)) shown.push({ key, array: value })
    else {
      const text = JSON.stringify(value, null, 1)
      if (text !== undefined) shown.push({ key, text })
    }
  }
  if (shown.length === 0) {
    yield '{}'
    return
  }
  yield '{'
  for (const [index, { key, text, array }] of shown.entries()) {
    const comma = index < shown.length - 1 ? ',' : ''
    const name = ` ${JSON.stringify(key)}: `
    if (text !== undefined) {
      yield `${name}${indented(text, 1)}${comma}`
      continue
    }
    if (array!.length === 0) {
      yield `${name}[]${comma}`
      continue
    }
    yield `${name}[`
    for (let element = 0; element < array!.length; element++) {
      const text = JSON.stringify(array![element], null, 1) ?? 'null'
      yield `  ${indented(text, 2)}${element < array!.length - 1 ? ',' : ''}`
    }
    yield ` ]${comma}`
  }
  yield '}'
}

function hasToJson(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function'
}

/** A value's JSON as it reads nested `depth` levels deep: strings hold no raw newline, so every newline is a line. */
function indented(text: string, depth: number): string {
  return text.includes('\n') ? text.replaceAll('\n', `\n${' '.repeat(depth)}`) : text
}
