// Apart from files.ts, so the CSV tokenizer and what uses it stay free of node:fs and run in a browser.

/** Human-readable byte count for messages, e.g. `8 MiB`, `512 bytes`. */
export function describeBytes(byteCount: number): string {
  if (byteCount >= 1 << 20 && byteCount % (1 << 20) === 0) return `${byteCount / (1 << 20)} MiB`
  if (byteCount >= 1 << 10 && byteCount % (1 << 10) === 0) return `${byteCount / (1 << 10)} KiB`
  return `${byteCount} bytes`
}
