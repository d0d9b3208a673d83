import { describe, expect, it } from 'vitest'
import { PoisonguardError } from '../errors.js'
import { builtinDetectors, detectorIds, listDetectors, selectDetectors } from './registry.js'

describe('detector registry', () => {
  it('keys every detector by its own id, in kebab-case', () => {
    for (const [key, detector] of Object.entries(builtinDetectors)) {
      expect(detector.id).toBe(key)
      expect(key).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/)
      expect(detector.summary.length).toBeGreaterThan(10)
    }
  })

  it('selects, skips and keeps registry order', () => {
    expect(selectDetectors()).toEqual(detectorIds)
    expect(selectDetectors(['knn-label-consistency', 'label-issues'])).toEqual([
      'label-issues',
      'knn-label-consistency',
    ])
    expect(selectDetectors(undefined, ['label-issues'])).not.toContain('label-issues')
  })

  it('rejects unknown names and lists the valid ones', () => {
    expect(() => selectDetectors(['label-isues'])).toThrow(PoisonguardError)
    expect(() => selectDetectors(['label-isues'])).toThrow(
      `unknown detector "label-isues"; valid detectors: ${detectorIds.join(', ')}`,
    )
  })

  it('refuses a selection that leaves nothing to run and lists the valid ones', () => {
    expect(() => selectDetectors([])).toThrow(
      `no detector to run: the list of detectors is empty; valid detectors: ${detectorIds.join(', ')}`,
    )
    expect(() => selectDetectors(['outliers'], ['outliers'])).toThrow(
      'no detector to run: every selected detector is skipped',
    )
    expect(() => selectDetectors(undefined, detectorIds)).toThrow(PoisonguardError)
  })

  it('gives every detector parameters that parse from nothing to their defaults', () => {
    for (const detector of listDetectors()) {
      expect(detector.params.safeParse({}).success).toBe(true)
      expect(detector.params.safeParse({ notAParameter: 1 }).success).toBe(false)
    }
  })
})
