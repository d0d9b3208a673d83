import { parseNumberText } from './numbers.js'

/** Characters that make a spreadsheet read a cell as a formula (OWASP's list for CSV injection). */
const FORMULA_STARTS = new Set(['=', '+', '-', '@', '\t', '\r'])

/**
 * Whether a spreadsheet opening the CSV would run `text` as a formula: it starts with `= + - @`, a tab or a
 * carriage return and is not a plain number (`-1.5` stays a number, `-1+2` or `=HYPERLINK(…)` do not).
 * @see OWASP. CSV Injection. https://owasp.org/www-community/attacks/CSV_Injection
 */
export function isFormulaCell(text: string): boolean {
  return FORMULA_STARTS.has(text.charAt(0)) && parseNumberText(text.trim()).kind !== 'number'
}

/** The cell as a spreadsheet shows it but never runs it: a leading `'` (OWASP), when it is a formula cell. */
export function neutraliseFormulaCell(text: string): string {
  return isFormulaCell(text) ? `'${text}` : text
}
