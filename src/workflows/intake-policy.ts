import { z } from 'zod'
import { type Severity, severityOrder } from '../domain/index.js'

const severityOrNever = z.enum(['low', 'medium', 'high', 'never'])

/** A project's intake policy: what stops a batch at the gate, and the limits each source works within. */
export const intakePolicySchema = z
  .object({
    requireSigned: z
      .boolean()
      .default(true)
      .describe('refuse a batch without a valid signed manifest from a key registered for its source'),
    severeAt: severityOrNever.default('high').describe('the severity that counts a record as severe'),
    maxSevereShare: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe('quarantine a batch when more than this share of its records is severe'),
    reviewOnSeverity: severityOrNever
      .default('high')
      .describe('send a batch to review when any of its records has a finding at or above this severity'),
    maxFlaggedShare: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe('quarantine a batch when more than this share of its records is flagged'),
    onDrift: z
      .enum(['accept', 'review', 'quarantine'])
      .default('review')
      .describe('what a significant drift against the current version leads to'),
    onCollusion: z
      .enum(['accept', 'review', 'quarantine'])
      .default('review')
      .describe("what a colluding group of annotators who gave labels of the batch's records leads to"),
    quarantineSourceAfter: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe('quarantine a source whole after this many quarantined batches in a row'),
    maxBatchRows: z
      .number()
      .int()
      .min(1)
      .default(100_000)
      .describe('largest batch a source may submit, in rows'),
    maxBatchesPerHour: z.number().int().min(1).default(60).describe('rate limit of submissions per source'),
    maxRowsPerDay: z
      .number()
      .int()
      .min(1)
      .default(1_000_000)
      .describe('quota of rows per source per 24 hours'),
  })
  .strict()

export type IntakePolicy = z.output<typeof intakePolicySchema>

/** The gate's three outcomes. */
export type GateDecision = 'accept' | 'quarantine' | 'needs_review'

/** Why the gate decided as it did, one stage at a time. */
export interface GateReason {
  stage: 'signature' | 'schema' | 'drift' | 'scan' | 'crowd'
  decision: Exclude<GateDecision, 'accept'>
  message: string
}

/** What the intake pipeline learned about a batch; the gate decides from this alone. */
export interface IntakeEvidence {
  /** Null when the signature passed (or was not required); else what failed. */
  signatureFailure: string | null
  /** Messages of the schema findings (and of a batch that could not be read at all). */
  schemaProblems: readonly string[]
  /** Explanations of the significant drift tests. */
  drift: readonly string[]
  /** Colluding groups of annotators who gave labels of the batch's records, one description each. */
  collusion?: readonly string[]
  /** Per record of the batch: its severity (null when clean) and whether the scan flagged it. */
  severities: readonly (Severity | null)[]
  flagged: number
}

function atOrAbove(severity: Severity | null, threshold: Severity | 'never'): boolean {
  return (
    threshold !== 'never' &&
    severity !== null &&
    severityOrder.indexOf(severity) >= severityOrder.indexOf(threshold)
  )
}

/** Applies the policy: quarantine beats review beats accept, and every stage that objected is listed. */
export function gateBatch(
  evidence: IntakeEvidence,
  policy: IntakePolicy,
): { decision: GateDecision; reasons: GateReason[] } {
  const reasons: GateReason[] = []
  if (evidence.signatureFailure !== null)
    reasons.push({ stage: 'signature', decision: 'quarantine', message: evidence.signatureFailure })
  if (evidence.schemaProblems.length > 0)
    reasons.push({
      stage: 'schema',
      decision: 'quarantine',
      message: evidence.schemaProblems.slice(0, 5).join('; '),
    })
  if (evidence.drift.length > 0 && policy.onDrift !== 'accept')
    reasons.push({
      stage: 'drift',
      decision: policy.onDrift === 'review' ? 'needs_review' : 'quarantine',
      message: evidence.drift.slice(0, 5).join('; '),
    })
  const collusion = evidence.collusion ?? []
  if (collusion.length > 0 && policy.onCollusion !== 'accept')
    reasons.push({
      stage: 'crowd',
      decision: policy.onCollusion === 'review' ? 'needs_review' : 'quarantine',
      message: collusion.slice(0, 5).join('; '),
    })
  const rows = evidence.severities.length
  const severe = evidence.severities.filter((severity) => atOrAbove(severity, policy.severeAt)).length
  const share = rows === 0 ? 0 : evidence.flagged / rows
  if (rows > 0 && severe / rows > policy.maxSevereShare)
    reasons.push({
      stage: 'scan',
      decision: 'quarantine',
      message: `${severe} of ${rows} records have ${policy.severeAt}-severity findings (the policy allows ${percent(policy.maxSevereShare)})`,
    })
  else if (share > policy.maxFlaggedShare)
    reasons.push({
      stage: 'scan',
      decision: 'quarantine',
      message: `${evidence.flagged} of ${rows} records flagged (${percent(share)}; the policy allows ${percent(policy.maxFlaggedShare)})`,
    })
  else {
    const notable = evidence.severities.filter((severity) =>
      atOrAbove(severity, policy.reviewOnSeverity),
    ).length
    if (notable > 0)
      reasons.push({
        stage: 'scan',
        decision: 'needs_review',
        message: `${notable} records with ${policy.reviewOnSeverity}-severity findings`,
      })
  }
  const decision = reasons.some((reason) => reason.decision === 'quarantine')
    ? 'quarantine'
    : reasons.length > 0
      ? 'needs_review'
      : 'accept'
  return { decision, reasons }
}

function percent(share: number): string {
  return `${(100 * share).toFixed(1)}%`
}
