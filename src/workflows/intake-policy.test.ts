import { describe, expect, it } from 'vitest'
import { gateBatch, type IntakeEvidence, intakePolicySchema } from './intake-policy.js'

const clean: IntakeEvidence = {
  signatureFailure: null,
  schemaProblems: [],
  drift: [],
  severities: Array.from({ length: 100 }, () => null),
  flagged: 0,
}
const defaults = intakePolicySchema.parse({})

function withSevere(count: number, severity: 'low' | 'medium' | 'high' = 'high'): IntakeEvidence {
  return {
    ...clean,
    severities: clean.severities.map((_, row) => (row < count ? severity : null)),
    flagged: count,
  }
}

describe('the intake gate', () => {
  it('accepts a clean batch and names no reason', () => {
    expect(gateBatch(clean, defaults)).toEqual({ decision: 'accept', reasons: [] })
  })

  it('sends a batch with one severe record to review, and quarantines one above the severe share', () => {
    expect(gateBatch(withSevere(1), defaults).decision).toBe('needs_review')
    expect(gateBatch(withSevere(5), defaults).decision).toBe('needs_review')
    const quarantined = gateBatch(withSevere(6), defaults)
    expect(quarantined.decision).toBe('quarantine')
    expect(quarantined.reasons[0].message).toBe(
      '6 of 100 records have high-severity findings (the policy allows 5.0%)',
    )
  })

  it('quarantines on the flagged share even when no record is severe', () => {
    expect(gateBatch(withSevere(11, 'low'), defaults).reasons).toEqual([
      {
        stage: 'scan',
        decision: 'quarantine',
        message: '11 of 100 records flagged (11.0%; the policy allows 10.0%)',
      },
    ])
  })

  it('lets quarantine win over review and lists every stage that objected', () => {
    const evidence = { ...withSevere(1), signatureFailure: 'signature: wrong key', drift: ['labels drifted'] }
    const gate = gateBatch(evidence, defaults)
    expect(gate.decision).toBe('quarantine')
    expect(gate.reasons.map((reason) => [reason.stage, reason.decision])).toEqual([
      ['signature', 'quarantine'],
      ['drift', 'needs_review'],
      ['scan', 'needs_review'],
    ])
  })

  it('follows the policy on drift and on review', () => {
    const drifted = { ...clean, drift: ['labels drifted'] }
    expect(gateBatch(drifted, intakePolicySchema.parse({ onDrift: 'accept' })).decision).toBe('accept')
    expect(gateBatch(drifted, intakePolicySchema.parse({ onDrift: 'quarantine' })).decision).toBe(
      'quarantine',
    )
    expect(gateBatch(withSevere(1), intakePolicySchema.parse({ reviewOnSeverity: 'never' })).decision).toBe(
      'accept',
    )
  })

  it('refuses unknown policy fields, so a typo is not silently ignored', () => {
    expect(intakePolicySchema.safeParse({ requireSigend: false }).success).toBe(false)
  })

  it('sends a batch whose labels came from a colluding group to review, or as the policy says', () => {
    const colluded = {
      ...clean,
      collusion: ['4 annotators answering in concert (a, b, c, d) gave the labels of 9 records'],
    }
    expect(gateBatch(colluded, defaults)).toEqual({
      decision: 'needs_review',
      reasons: [{ stage: 'crowd', decision: 'needs_review', message: colluded.collusion[0] }],
    })
    expect(gateBatch(colluded, { ...defaults, onCollusion: 'quarantine' }).decision).toBe('quarantine')
    expect(gateBatch(colluded, { ...defaults, onCollusion: 'accept' }).decision).toBe('accept')
  })
})
