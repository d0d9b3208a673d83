import { describe, expectTypeOf, it } from 'vitest'
import type { DetectorId, ScanOptions } from '../src/index.js'

/*
 * Type-level checks: `tsc --noEmit` (part of `npm test`) fails when a line marked `@ts-expect-error` compiles,
 * so each one below proves the API rejects that mistake at compile time.
 */
type Params = NonNullable<ScanOptions['params']>

describe('typed scan options', () => {
  it('types the parameters of every built-in detector from its schema', () => {
    expectTypeOf<NonNullable<Params['knn-label-consistency']>>().toEqualTypeOf<{
      readonly k?: number
      readonly flagAbove?: number
    }>()
    const valid: Params = { 'knn-label-consistency': { k: 5 }, 'my-detector': { anything: true } }
    expectTypeOf(valid).toExtend<ScanOptions['params']>()
    // @ts-expect-error a built-in detector without parameters accepts none
    const unknownOfEmpty: Params = { 'label-issues': { nosuch: 1 } }
    // @ts-expect-error a misspelt parameter of a built-in detector
    const misspelt: Params = { 'knn-label-consistency': { kk: 5 } }
    // @ts-expect-error a parameter of the wrong type
    const wrongType: Params = { 'knn-label-consistency': { k: 'five' } }
    expectTypeOf([unknownOfEmpty, misspelt, wrongType]).toBeArray()
  })

  it('offers the built-in ids and accepts a registered detector’s id', () => {
    expectTypeOf<'label-issues'>().toExtend<DetectorId>()
    const selection: ScanOptions['detectors'] = ['label-issues', 'my-detector']
    expectTypeOf(selection).toExtend<readonly string[] | undefined>()
  })
})
