/**
 * The line that ends a command's summary: the report files it wrote, or, since no command writes into the current
 * folder unless asked, how to keep the full report.
 */
export function reportLine(paths: readonly (string | undefined)[]): string {
  const written = paths.filter((path): path is string => Boolean(path))
  return written.length > 0
    ? `Report: ${written.join(', ')}`
    : 'Report: not written (--out report.json keeps the full report; --html report.html a page for people)'
}
