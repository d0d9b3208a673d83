import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as api from '../src/index.js'
import { useTemporaryFolder } from './fixtures/files.js'

const temporary = useTemporaryFolder()

describe('public API', () => {
  it('exports exactly the documented functions', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "AnnotationTableBuilder",
        "ExitCode",
        "PoisonguardError",
        "aggregateCrowd",
        "aggregationModels",
        "applyAttack",
        "areaUnderRoc",
        "attackFile",
        "attackIds",
        "attackRegistry",
        "averagePrecision",
        "baseLearners",
        "buildCrowdReport",
        "builtinDatasets",
        "builtinDetectors",
        "calibrateStrip",
        "certifyEnsemble",
        "certifyFile",
        "certifyFiniteAggregation",
        "certifyPartitionVotes",
        "certifyPredictions",
        "checkBatch",
        "classifierFromEnsemble",
        "classifierFromNetwork",
        "cleanKeepMask",
        "compareBehaviour",
        "compareSourceModels",
        "configureDetectors",
        "createDefaultBackend",
        "createManifest",
        "createPortableBackend",
        "createRng",
        "createWorkerDetectorExecutor",
        "createWorkerFoldExecutor",
        "createWorkerMemberExecutor",
        "crowdFile",
        "decodeEnsembleGraph",
        "decodeMember",
        "defineDetector",
        "detectorIds",
        "detectorReport",
        "diffProvenance",
        "encodeEnsemble",
        "encodeEnsembleGraph",
        "encodeGrayscalePng",
        "encodeLabels",
        "encodeMember",
        "encodeNetworkModel",
        "ensembleFolderOutput",
        "evaluateModel",
        "exitCodeForError",
        "exitCodeForFindings",
        "exitCodeForScan",
        "exitCodeForVerification",
        "findCollusion",
        "findSuspiciousAnnotators",
        "fitDawidSkene",
        "fitFold",
        "fitGlad",
        "fitMace",
        "fitOneCoin",
        "fromArrays",
        "fromRecords",
        "generateKeyFiles",
        "getAttack",
        "getBuiltinDataset",
        "getDetector",
        "guard",
        "hashFile",
        "hashRecordContent",
        "inferSchema",
        "isPoisonguardError",
        "jsonWriter",
        "listBuiltinDatasets",
        "listDetectors",
        "loadAnnotations",
        "loadDataset",
        "loadEnsembleFolder",
        "loadGoldLabels",
        "loadOnnxClassifier",
        "majorityVotePosterior",
        "measureReliability",
        "networkFromLogistic",
        "parseDetectorNames",
        "parseSchema",
        "pgdAttack",
        "predictEnsembleMembers",
        "predictNetwork",
        "predictedClasses",
        "prepareDetectorInput",
        "readExportedNetwork",
        "registerDetector",
        "relabelPlan",
        "renderBenchMarkdown",
        "renderCheckHtml",
        "renderCrowdHtml",
        "renderHtmlReport",
        "robustModes",
        "robustTrainFile",
        "robustTrainOutput",
        "robustTrainingProcedure",
        "runBenchmark",
        "runDetectors",
        "scan",
        "scanDataset",
        "scanFile",
        "scanFileOnWorkers",
        "scanForTriggers",
        "scanModelTriggers",
        "selectDetectors",
        "sequentialFoldExecutor",
        "sequentialMemberExecutor",
        "simulateCrowd",
        "sourcesFlaggedAbove",
        "standardTraining",
        "startScanWorker",
        "summariseJobs",
        "summarizeCertificates",
        "traceLineage",
        "traceModel",
        "traceResponsibleRecords",
        "trainAdversarialMlp",
        "trainMlp",
        "trainModel",
        "trainPartitionEnsemble",
        "trainRobustLogistic",
        "verifyDatasetAgainstManifest",
        "version",
        "wilsonInterval",
        "writeCertifyOutputs",
        "writeDataset",
        "writeFilteredDataset",
        "writeScanOutputs",
      ]
    `)
  })

  it('reports the version of package.json', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string
    }
    expect(api.version).toBe(manifest.version)
  })

  it('runs the README example', async () => {
    const rows = ['id,label,x,y']
    for (let row = 0; row < 40; row++) rows.push(`r${row},${row % 2 ? 'a' : 'b'},${row % 2},${(row * 7) % 5}`)
    const path = temporary('train.csv')
    writeFileSync(path, `${rows.join('\n')}\n`)
    const dataset = await api.loadDataset(path, { label: 'label' })
    const report = await api.scan(dataset, { detectors: ['label-issues'] })
    expect(report.records).toHaveLength(40)
    expect(report.detectors.map((detector) => detector.id)).toEqual(['label-issues'])
  })
})
