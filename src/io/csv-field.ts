// Apart from the parser, whose buffers are Node's, so the flagged-records CSV can be written in a browser too.

/** Encodes a value as a CSV field, quoting it only when it needs quotes. */
export function encodeCsvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}
