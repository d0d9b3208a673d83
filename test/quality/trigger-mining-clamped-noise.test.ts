import { describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import { averagePrecision } from '../../src/evaluation/metrics.js'
import { createPortableBackend } from '../../src/linalg/portable.js'
import { mineTableTriggers } from '../fixtures/detectors.js'
import { poisonMask } from '../fixtures/poison.js'
import { rareGaussians } from '../fixtures/rare-gaussians.js'

const backend = createPortableBackend()

/** Three classes of 3,000, 600 and 60 records over 12 columns (6 informative, 2 combinations of them). */
const table = rareGaussians([3000, 600, 60], { informative: 6, combined: 2, cols: 12, seed: 5 })

/*
 * Noise records pushed past a column's range are clamped to its extreme, so dozens share its minimum or maximum, and
 * their random labels give the rarest class about a third of them, far more than their neighbours predict: the
 * values f2 = -6.62 and f3 = 9.49 were named as triggers on 13 and 15 of 28 carriers. A planted value relabels
 * nearly all of its carriers, ordinary records of other classes.
 */
describe('trigger-mining on a 1:10:50 table', () => {
  it('names no trigger on noise records clamped to the columns’ extremes', async () => {
    const run = applyAttack('availability', table, { rate: 0.1, mode: 'noise', noiseScale: 2 }, 1)
    const result = await mineTableTriggers(run.dataset, backend)
    expect(result.info.triggers).toEqual([])
  })

  it('still names three columns set to their maxima on 1.5% relabelled to the rarest class', async () => {
    const run = applyAttack('backdoor-feature', table, { rate: 0.015, target: 'class 2' }, 1)
    const result = await mineTableTriggers(run.dataset, backend)
    expect(
      averagePrecision(result.suspicion, poisonMask(run.dataset.rowCount, run.poisonedRows)),
    ).toBeGreaterThanOrEqual(0.95)
    const [trigger] = result.info.triggers as { label: string }[]
    expect(trigger.label).toBe('class 2')
  })
})
