import type { DetectedAttack, FindingKind, ScanReport } from '../domain/index.js'
import { attackRows, emittedKinds, mergeSameAttacks } from '../scan/same-attack.js'

/** A mined trigger as trigger-mining reports it in its info: what to draw and which words to highlight. */
export interface TriggerEvidence {
  readonly modality: 'image' | 'text' | 'tabular'
  readonly description: string
  /** Words or `column = value` terms of a text or tabular trigger. */
  readonly features: readonly string[]
  /** Where a fixed image patch sits, in pixels. */
  readonly box?: { x: number; y: number; width: number; height: number }
}

/** A class pair a targeted flip attacked: records of `true` given the label `given`. */
export interface ClassPair {
  readonly given: string
  readonly true: string
}

/**
 * One attack of the verdict with the records it covers and what the detector measured about it: the view model
 * both the static report and the review app draw, computed from the JSON report alone.
 */
export interface AttackView {
  readonly attack: DetectedAttack
  /** Flagged rows the attack covers, most suspicious first. */
  readonly rows: Int32Array
  /** Sources of those rows with their counts, most first. */
  readonly sources: readonly { name: string; records: number }[]
  readonly trigger?: TriggerEvidence
  /** A clean-label pattern in the data's units, one array per image row. */
  readonly pattern?: readonly (readonly number[])[]
  readonly pair?: ClassPair
  /** Id of the record a flood copies. */
  readonly floodOriginal?: string
  /** Other detectors whose attack covers (nearly) the same records, merged into this one. */
  readonly confirmedBy: readonly DetectedAttack[]
}

type Info = Record<string, unknown> | undefined

function infoList<T>(info: Info, key: string): T[] {
  const value = info?.[key]
  return Array.isArray(value) ? (value as T[]) : []
}

function sourcesOf(report: ScanReport, rows: Int32Array): { name: string; records: number }[] {
  const counts = new Map<string, number>()
  for (const row of rows) {
    const source = report.records[row].source
    if (source !== undefined) counts.set(source, (counts.get(source) ?? 0) + 1)
  }
  return [...counts]
    .map(([name, records]) => ({ name, records }))
    .sort((a, b) => b.records - a.records || a.name.localeCompare(b.name))
}

/**
 * Every attack of the verdict with its rows and the detector's evidence for pictures, an attack that a stronger one
 * covers merged into that one as a confirmation, strongest first; empty for reports without a verdict.
 */
export function buildAttackViews(report: ScanReport): AttackView[] {
  return mergeSameAttacks(describeAttacks(report))
}

function describeAttacks(report: ScanReport): Omit<AttackView, 'confirmedBy'>[] {
  const attacks = report.summary.verdict?.attacks ?? []
  const kinds = emittedKinds(report.records)
  const infoOf = new Map(report.detectors.map((detector) => [detector.id, detector.info]))
  // A detector lists its attacks in the order of its info arrays, so the n-th attack is the n-th entry.
  const seen = new Map<string, number>()
  return attacks.map((attack) => {
    const index = seen.get(attack.detector) ?? 0
    seen.set(attack.detector, index + 1)
    const info = infoOf.get(attack.detector)
    const rows = attackRows(report.records, attack, kinds).sort(
      (a, b) => report.records[b].suspicion - report.records[a].suspicion,
    )
    const trigger = attack.kind === 'trigger' ? infoList<TriggerEvidence>(info, 'triggers')[index] : undefined
    const pattern =
      attack.kind === 'clean_label'
        ? infoList<{ label: string; pattern: number[][] }>(info, 'patterns').find(
            (entry) => entry.label === attack.label,
          )?.pattern
        : undefined
    const pair = attack.kind === 'label_issue' ? infoList<ClassPair>(info, 'attackedPairs')[index] : undefined
    const flood =
      attack.kind === 'flood'
        ? infoList<{ kind: string; original: string }>(info, 'largestGroups').find(
            (group) => group.kind === 'flood',
          )
        : undefined
    return {
      attack,
      rows,
      sources: sourcesOf(report, rows),
      ...(trigger ? { trigger } : {}),
      ...(pattern ? { pattern } : {}),
      ...(pair ? { pair: { given: pair.given, true: pair.true } } : {}),
      ...(flood ? { floodOriginal: flood.original } : {}),
    }
  })
}

/** Kinds whose records are best fixed by relabelling (the input is fine, its label is not). */
const RELABEL_KINDS: ReadonlySet<FindingKind> = new Set(['label_issue', 'contradiction'])

/** Whether the attack is undone by relabelling its records rather than dropping them. */
export function fixedByRelabelling(attack: DetectedAttack): boolean {
  return RELABEL_KINDS.has(attack.kind)
}
