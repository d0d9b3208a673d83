import { describe, expect, it } from 'vitest'
import * as core from '../src/core.js'

describe('poisonguard/core API', () => {
  it('exports exactly the in-memory scan, detectors, attacks and report contract', () => {
    expect(Object.keys(core).sort()).toMatchInlineSnapshot(`
      [
        "AnnotationTableBuilder",
        "PoisonguardError",
        "aggregateCrowd",
        "aggregationModels",
        "applyAttack",
        "attackIds",
        "attackRegistry",
        "buildCrowdReport",
        "builtinDetectors",
        "cleanKeepMask",
        "createPortableBackend",
        "createRng",
        "defineDetector",
        "detectorIds",
        "detectorReport",
        "encodeLabels",
        "findCollusion",
        "findSuspiciousAnnotators",
        "fitDawidSkene",
        "fitFold",
        "fitGlad",
        "fitMace",
        "fitOneCoin",
        "fromArrays",
        "fromRecords",
        "getAttack",
        "getDetector",
        "isPoisonguardError",
        "jsonWriter",
        "listDetectors",
        "majorityVotePosterior",
        "measureReliability",
        "parseDetectorNames",
        "registerDetector",
        "relabelPlan",
        "scanDataset",
        "selectDetectors",
        "sequentialFoldExecutor",
        "simulateCrowd",
        "sourcesFlaggedAbove",
        "version",
        "wilsonInterval",
      ]
    `)
  })
})
