import { describe, expect, it } from 'vitest'
import * as core from '../src/core.js'

describe('poisonguard/core API', () => {
  it('exports exactly the in-memory scan, detectors, attacks and report contract', () => {
    expect(Object.keys(core).sort()).toMatchInlineSnapshot(`
      [
        "PoisonguardError",
        "applyAttack",
        "attackIds",
        "attackRegistry",
        "builtinDetectors",
        "cleanKeepMask",
        "createPortableBackend",
        "createRng",
        "detectorIds",
        "encodeLabels",
        "fromArrays",
        "fromRecords",
        "getAttack",
        "getDetector",
        "isPoisonguardError",
        "jsonWriter",
        "listDetectors",
        "registerDetector",
        "relabelPlan",
        "scanDataset",
        "selectDetectors",
        "sourcesFlaggedAbove",
        "version",
      ]
    `)
  })
})
