import { z } from 'zod'
import type { LabelColumn } from '../data/dataset.js'
import type { ErrorIssue } from '../errors.js'
import { invalidParams } from '../util/params.js'

/** The share of the input's records an attack poisons (modified or added ÷ input records). */
export function rateParam(defaultRate: number) {
  return z
    .number()
    .gt(0)
    .max(1)
    .default(defaultRate)
    .describe('fraction of the input records to poison: poisoned (or added) records ÷ input records')
}

/** A class label given as text or as a number (`--param to=7` arrives as a JSON number); read as text. */
export function labelParam(description: string) {
  return z
    .union([z.string().min(1), z.number()])
    .transform((value) => String(value))
    .optional()
    .describe(description)
}

/** The label every poisoned record of a backdoor carries. */
export const targetLabelParam = labelParam(
  'label the poisoned records get and a triggered input should be taken for (default: the first class)',
)

/** Which dataset a new record is said to come from, for datasets with a `source` column. */
export const poisonSourceParam = z
  .string()
  .min(1)
  .default('attacker')
  .describe('source of the added records, when the dataset has a source column')

/**
 * Problems with an attack's parameters found against the dataset (unknown labels, too few eligible records);
 * collected so one error lists all of them.
 */
export class ParamProblems {
  private readonly issues: ErrorIssue[] = []

  constructor(private readonly attackId: string) {}

  add(param: string, message: string): void {
    this.issues.push({ path: `${this.attackId}.${param}`, message })
  }

  throwIfAny(hint?: string): void {
    if (this.issues.length > 0) throw invalidParams('attack', this.attackId, this.issues, hint)
  }
}

/** The code of a class by name, or -1 after recording a problem that lists the valid classes. */
export function findClass(labels: LabelColumn, name: string, param: string, problems: ParamProblems): number {
  const code = labels.classes.indexOf(name)
  if (code < 0) {
    const shown = labels.classes.slice(0, 20).map((className) => JSON.stringify(className))
    const more = labels.classes.length > 20 ? `, … (${labels.classes.length} classes)` : ''
    problems.add(param, `unknown label ${JSON.stringify(name)}; the classes are ${shown.join(', ')}${more}`)
  }
  return code
}

/** Resolves a backdoor's target label: the named class, or the first class when none is named. */
export function resolveTarget(
  labels: LabelColumn,
  target: string | undefined,
  problems: ParamProblems,
): number {
  if (target === undefined) return labels.classes.length > 0 ? 0 : -1
  return findClass(labels, target, 'target', problems)
}
