import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import {
  type DetectorId,
  type DetectorName,
  defineDetector,
  detectorReport,
  type ScanOptions,
  type ScanReport,
} from '../src/index.js'

/*
 * Type-level checks: `tsc --noEmit` (part of `npm test`) fails when a line marked `@ts-expect-error` compiles,
 * so each one below proves the API rejects that mistake at compile time.
 */
type Params = NonNullable<ScanOptions['params']>

/** A program's own detector, declared below in `RegisteredDetectors` as a program would. */
const shareDetector = defineDetector({
  id: 'my-detector',
  kind: 'outlier',
  summary: 'a detector of the program using poisonguard',
  requires: [],
  params: z.object({ share: z.number().default(0.5) }).strict(),
  async run(input, params) {
    const suspicion = new Float32Array(input.rowCount).fill(params.share)
    const flagged = new Uint8Array(input.rowCount)
    return { suspicion, flagged, explanations: [], info: { share: params.share }, warnings: [] }
  },
})

declare module '../src/index.js' {
  interface RegisteredDetectors {
    'my-detector': typeof shareDetector
  }
}

describe('typed scan options', () => {
  it('types the parameters of every built-in detector from its schema', () => {
    expectTypeOf<NonNullable<Params['knn-label-consistency']>>().toEqualTypeOf<{
      readonly k?: number
      readonly flagAbove?: number
    }>()
    const valid: Params = { 'knn-label-consistency': { k: 5 }, 'my-detector': { share: 0.2 } }
    expectTypeOf(valid).toExtend<ScanOptions['params']>()
    // @ts-expect-error a built-in detector without parameters accepts none
    const unknownOfEmpty: Params = { 'label-issues': { nosuch: 1 } }
    // @ts-expect-error a misspelt parameter of a built-in detector
    const misspelt: Params = { 'knn-label-consistency': { kk: 5 } }
    // @ts-expect-error a parameter of the wrong type
    const wrongType: Params = { 'knn-label-consistency': { k: 'five' } }
    // @ts-expect-error a misspelt parameter of a registered detector
    const misspeltOwn: Params = { 'my-detector': { shar: 0.2 } }
    // @ts-expect-error parameters keyed by a misspelt detector id
    const misspeltId: Params = { 'knn-label-consistensy': { k: 5 } }
    expectTypeOf([unknownOfEmpty, misspelt, wrongType, misspeltOwn, misspeltId]).toBeArray()
  })

  it('accepts built-in and registered ids and rejects a misspelt one', () => {
    expectTypeOf<'label-issues'>().toExtend<DetectorId>()
    expectTypeOf<'my-detector'>().toExtend<DetectorName>()
    expectTypeOf<'my-detector'>().not.toExtend<DetectorId>()
    const selection: ScanOptions['detectors'] = ['label-issues', 'my-detector']
    // @ts-expect-error a misspelt detector id
    const misspelt: ScanOptions['detectors'] = ['label-isues']
    // @ts-expect-error a misspelt id among those skipped
    const skipped: ScanOptions['skip'] = ['outlier']
    expectTypeOf([selection, misspelt, skipped]).toBeArray()
  })
})

describe('typed report entries', () => {
  const report = { detectors: [] } as unknown as ScanReport

  it('types a detector’s info and params from its definition', () => {
    const outliers = detectorReport(report, 'outliers')
    expectTypeOf(outliers?.info?.components).toEqualTypeOf<string[] | undefined>()
    expectTypeOf(outliers?.params.treeCount).toEqualTypeOf<number | undefined>()
    expectTypeOf(detectorReport(report, 'knn-label-consistency')?.info).toEqualTypeOf<
      { k: number } | undefined
    >()
    expectTypeOf(detectorReport(report, 'my-detector')?.info?.share).toEqualTypeOf<number | undefined>()
    // @ts-expect-error a field the detector does not report
    expectTypeOf(detectorReport(report, 'knn-label-consistency')?.info?.kk).toBeUnknown()
    // @ts-expect-error a misspelt detector id
    expectTypeOf(detectorReport(report, 'outlier')).toBeUnknown()
  })
})
