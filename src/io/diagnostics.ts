import type { LoadDiagnostics } from '../data/dataset.js'

/** How many names a message lists before it only counts the rest. */
const MAX_LISTED_NAMES = 10
const MAX_LISTED_FILES = 5

/** The messages a user sees for what a loader noticed; every count stays in the diagnostics themselves. */
export function describeLoadDiagnostics(diagnostics: LoadDiagnostics): string[] {
  const warnings: string[] = []
  const { textColumns, emptyColumns, imputed, skippedFiles, mostlyEmpty, categoricalColumns } = diagnostics
  if (categoricalColumns && categoricalColumns.length > 0) {
    const encoded = categoricalColumns.map(
      ({ name, values }) => `"${name}" (${values.length} value${values.length === 1 ? '' : 's'})`,
    )
    const shown = encoded.slice(0, MAX_LISTED_NAMES).join(', ')
    const more = encoded.length > MAX_LISTED_NAMES ? `, and ${encoded.length - MAX_LISTED_NAMES} more` : ''
    warnings.push(`encoded categorical column(s) ${shown}${more} as one-hot columns`)
  }
  if (textColumns.length > 0)
    warnings.push(`ignored non-numeric column(s) ${quoteNames(textColumns)}; choose features with --features`)
  if (emptyColumns.length > 0) warnings.push(`ignored empty column(s) ${quoteNames(emptyColumns)}`)
  if (imputed.size > 0) {
    const filled = [...imputed].map(
      ([name, { cellCount, mean }]) => `${cellCount} in "${name}" (mean ${Number(mean.toPrecision(6))})`,
    )
    const shown = filled.slice(0, MAX_LISTED_NAMES).join(', ')
    const more =
      filled.length > MAX_LISTED_NAMES ? `, and ${filled.length - MAX_LISTED_NAMES} more columns` : ''
    warnings.push(`filled empty feature cells with the column mean: ${shown}${more}`)
  }
  for (const { name, role, emptyCount } of mostlyEmpty)
    warnings.push(describeMostlyEmpty(name, role, emptyCount))
  if (diagnostics.notColourImage) warnings.push(diagnostics.notColourImage)
  if (skippedFiles.length > 0) {
    const shown = skippedFiles.slice(0, MAX_LISTED_FILES).join(', ')
    warnings.push(`skipped ${skippedFiles.length} file(s) that are not images in a label folder: ${shown}`)
  }
  return warnings
}

const mostlyEmptyConsequence = {
  text: 'the texts are not used; detectors that need them are skipped',
  label: 'records without a label are left out of the label checks',
  feature: 'most of its values are filled-in means',
} as const

function describeMostlyEmpty(name: string, role: keyof typeof mostlyEmptyConsequence, emptyCount: number) {
  return `${role} column "${name}" is mostly empty (${emptyCount} empty cells); ${mostlyEmptyConsequence[role]}`
}

/** `"a", "b", … (12 in all)`: quoted names, the first ten of them. */
export function quoteNames(names: readonly string[]): string {
  const shown = names.slice(0, MAX_LISTED_NAMES).map((name) => `"${name}"`)
  if (names.length > MAX_LISTED_NAMES) shown.push(`… (${names.length} in all)`)
  return shown.join(', ')
}
