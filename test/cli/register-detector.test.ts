import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Detector } from '../../src/detectors/types.js'
import {
  detectorIds,
  getDetector,
  listDetectors,
  registerDetector,
  scanDataset,
  selectDetectors,
} from '../../src/index.js'
import { createPortableBackend } from '../../src/linalg/portable.js'
import { mnistDataset } from '../fixtures/datasets.js'
import { rejection } from '../fixtures/errors.js'
import { runCli } from './run-cli.js'

const side = 28
/** Where the default patch of `backdoor-patch` lands: 3 × 3 pixels, 1 pixel from the bottom-right corner. */
const patchRows = [24, 25, 26]

/** A user's detector: the share of lit pixels (over half the brightest) in the corner where a patch usually goes. */
const cornerPatchDetector: Detector<{ minShare: number }> = {
  id: 'corner-patch',
  kind: 'backdoor',
  summary: 'images whose bottom-right corner is lit, as a stamped patch would be',
  requires: ['images'],
  params: z.object({ minShare: z.number().min(0).max(1).default(0.9) }).strict(),
  async run(input, params) {
    const pixels = input.dataset.features!
    const lit = pixels.data.reduce((brightest, value) => Math.max(brightest, value), 0) / 2
    const suspicion = new Float32Array(input.rowCount)
    const flagged = new Uint8Array(input.rowCount)
    const explanations: (string | undefined)[] = new Array(input.rowCount).fill(undefined)
    for (let row = 0; row < input.rowCount; row++) {
      let litCount = 0
      for (const y of patchRows)
        for (const x of patchRows) if (pixels.data[row * pixels.cols + y * side + x] > lit) litCount++
      suspicion[row] = litCount / patchRows.length ** 2
      if (suspicion[row] >= params.minShare) {
        flagged[row] = 1
        explanations[row] = `${litCount} of 9 corner pixels are lit`
      }
    }
    return { suspicion, flagged, explanations, info: { minShare: params.minShare }, warnings: [] }
  },
}

registerDetector(cornerPatchDetector)

// What a program does to name its own detector, its parameters and its `info` with compile-time checks.
declare module '../../src/index.js' {
  interface RegisteredDetectors {
    'corner-patch': typeof cornerPatchDetector
  }
}

describe('registerDetector', () => {
  it('makes a detector selectable by id and part of the default selection, after the built-ins', () => {
    expect(getDetector('corner-patch')).toBe(cornerPatchDetector)
    expect(listDetectors().at(-1)).toBe(cornerPatchDetector)
    expect(selectDetectors()).toEqual([...detectorIds, 'corner-patch'])
    expect(selectDetectors(['corner-patch'])).toEqual(['corner-patch'])
  })

  it('runs a registered detector through scan, fused and reported like a built-in', async () => {
    const run = applyAttack('backdoor-patch', mnistDataset(300), { rate: 0.05, target: '0' }, 1)
    const report = await scanDataset(run.dataset, {
      backend: createPortableBackend(),
      detectors: ['corner-patch', 'knn-label-consistency'],
      params: { 'corner-patch': { minShare: 0.8 } },
      now: () => 0,
    })
    expect(report.detectors.map(({ id, status, params }) => ({ id, status, params }))).toEqual([
      { id: 'knn-label-consistency', status: 'ok', params: { k: 10, flagAbove: 0.5 } },
      { id: 'corner-patch', status: 'ok', params: { minShare: 0.8 } },
    ])
    const poisoned = new Set(run.poisonedIds)
    const found = report.records.filter((record) =>
      record.findings.some((finding) => finding.detector === 'corner-patch'),
    )
    expect(found.map((record) => record.id).sort()).toEqual([...poisoned].sort())
    for (const record of found) {
      expect(record.flagged).toBe(true)
      expect(record.severity).toBe('high')
      expect(record.findings).toContainEqual({
        detector: 'corner-patch',
        kind: 'backdoor',
        score: 1,
        explanation: '9 of 9 corner pixels are lit',
      })
    }
  })

  it('lists a registered detector and its parameters on the command line', async () => {
    const listed = await runCli('detectors')
    expect(listed.stdout).toContain(
      'corner-patch  (backdoor)\n    images whose bottom-right corner is lit, as a stamped patch would be\n    needs: images\n    params:\n      minShare=0.9\n',
    )
  })

  it('refuses a second detector with a registered id', () => {
    const error = rejection(() => registerDetector({ ...cornerPatchDetector }))
    expect(error.message).toBe('a detector with id "corner-patch" is already registered')
  })

  it('refuses a malformed declaration and lists every problem', () => {
    const malformed = {
      ...cornerPatchDetector,
      id: 'Corner Patch',
      requires: ['pixels'],
      run: undefined,
    } as unknown as Detector
    const error = rejection(() => registerDetector(malformed))
    expect(error.code).toBe('INVALID_ARGUMENT')
    expect(error.issues.map((issue) => issue.path)).toEqual(['id', 'requires', 'run'])
    expect(error.message).toBe(
      'invalid detector declaration: id: expected a kebab-case id such as "my-detector", received "Corner Patch"',
    )
    expect(() => getDetector('Corner Patch')).toThrow('unknown detector "Corner Patch"')
  })
})
