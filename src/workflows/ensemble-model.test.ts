import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { mnistDataset } from '../../test/fixtures/datasets.js'
import { useTemporaryFolder } from '../../test/fixtures/files.js'
import type { Dataset } from '../data/dataset.js'
import { selectRows } from '../data/matrix.js'
import { loadDataset } from '../io/index.js'
import { writeOutputsAtomically } from '../io/transaction.js'
import { writeDataset } from '../io/write-dataset.js'
import { predictedClasses } from '../models/classifier.js'
import { loadOnnxClassifier } from '../models/onnx-classifier.js'
import { certifyEnsemble, sequentialMemberExecutor } from '../robust/ensemble.js'
import { predictKnn } from '../robust/knn.js'
import { decodeMember } from '../robust/onnx-ensemble.js'
import { attackFile } from './attack-file.js'
import { loadEnsembleFolder } from './ensemble-folder.js'
import { evaluateModel } from './evaluate-model.js'
import { openModelFile } from './model-file.js'
import { robustTrainFile, robustTrainOutput } from './robust-train.js'
import { scanModelTriggers } from './scan-model-triggers.js'
import { traceModel } from './trace-model.js'

const path = useTemporaryFolder()
const executor = sequentialMemberExecutor

/** MNIST pooled 2×2 to 14×14 pixels: a cheap image set for the black-box trigger search. */
function pooledMnist(rowCount: number, offset: number): Dataset {
  const full = mnistDataset(rowCount, offset)
  const data = new Float32Array(rowCount * 196)
  for (let row = 0; row < rowCount; row++)
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++)
        data[row * 196 + (y >> 1) * 14 + (x >> 1)] += full.features!.data[row * 784 + y * 28 + x] / 4
  return {
    ...full,
    features: { data, rows: rowCount, cols: 196 },
    featureNames: Array.from({ length: 196 }, (_, pixel) => `p${pixel}`),
    imageShape: { width: 14, height: 14 },
  }
}

async function trainEnsemble(data: string, learner: 'knn' | 'logreg', outputs: string[], neighbours = 4) {
  const result = await robustTrainFile({
    data,
    robust: 'dpa',
    partitions: 5,
    learner,
    learnerOptions: { neighbours },
    executor,
  })
  await writeOutputsAtomically(outputs.map((out) => robustTrainOutput(result, out)))
}

beforeAll(async () => {
  await writeDataset(mnistDataset(800), path('train.csv'))
  await writeDataset(mnistDataset(300, 9000), path('test.csv'))
  await writeDataset(pooledMnist(600, 0), path('small-train.csv'))
  await writeDataset(pooledMnist(100, 9000), path('small-clean.csv'))
  // 4-NN members: ties between two labels of two neighbours each are common, so the graph's tie rule is exercised.
  await trainEnsemble(path('train.csv'), 'knn', [path('knn'), path('knn.onnx')])
  await trainEnsemble(path('small-train.csv'), 'logreg', [path('small')])
})

describe('ensembles with the model commands', () => {
  it('runs the single graph in ONNX Runtime with the folder’s vote shares and certificates', async () => {
    const test = await loadDataset(path('test.csv'))
    const folder = await openModelFile(path('knn'), test)
    const graph = await openModelFile(path('knn.onnx'), test)
    try {
      const fromFolder = await folder.classifier.predict(test.features!)
      const fromGraph = await graph.classifier.predict(test.features!)
      expect(Array.from(fromGraph.data)).toEqual(Array.from(fromFolder.data))
      expect(graph.ensemble).toMatchObject({ format: 'graph', members: 5, learner: 'knn' })
      expect(folder.ensemble).toMatchObject({ format: 'folder', members: 5, scheme: 'dpa' })
      expect(new Set(predictedClasses(fromFolder)).size).toBeGreaterThan(5)
    } finally {
      await folder.classifier.dispose()
      await graph.classifier.dispose()
    }
    const [fromFolder, fromGraph] = await Promise.all(
      [path('knn'), path('knn.onnx')].map(async (model) =>
        certifyEnsemble((await loadEnsembleFolder(model)).ensemble, test.features!, executor),
      ),
    )
    expect(fromGraph).toEqual(fromFolder)
  })

  it('exports a 4-NN member that ONNX Runtime runs with the vote of predictKnn', async () => {
    const manifest = JSON.parse(readFileSync(path('knn/ensemble.json'), 'utf8'))
    const bytes = new Uint8Array(readFileSync(join(path('knn'), manifest.members[0])))
    const member = decodeMember(bytes, 'member')
    if (member.kind !== 'knn') throw new Error('expected a k-NN member')
    expect(member.neighbours).toBe(4)
    const test = (await loadDataset(path('test.csv'))).features!
    const classifier = await loadOnnxClassifier(bytes)
    try {
      expect(Array.from(predictedClasses(await classifier.predict(test)))).toEqual(
        Array.from(predictKnn(member, test)),
      )
    } finally {
      await classifier.dispose()
    }
  })

  it('evaluates an ensemble folder against its own single graph: no record changes', async () => {
    const { report } = await evaluateModel({
      candidate: path('knn'),
      reference: path('knn.onnx'),
      golden: path('test.csv'),
    })
    expect(report.ensemble).toMatchObject({ format: 'folder', learner: 'knn' })
    expect(report.recordCount).toBe(300)
    expect(report.changedCount).toBe(0)
    expect(report.perClass.some((entry) => (entry.candidateAccuracy ?? 0) > 0.5)).toBe(true)
  })

  it('scans an ensemble black-box on its vote and says so', async () => {
    const result = await scanModelTriggers({
      model: path('small'),
      clean: path('small-clean.csv'),
      samplesPerLabel: 8,
      maxPatchSide: 2,
    })
    expect(result.method).toBe('black-box')
    expect('ensemble' in result && result.ensemble).toMatchObject({ format: 'folder', learner: 'logreg' })
    expect(result.labels).toHaveLength(10)
  })

  it('traces a k-NN ensemble’s backdoored predictions to the poison its members’ neighbours carried', async () => {
    await attackFile({
      attack: 'backdoor-patch',
      input: path('train.csv'),
      params: { rate: 0.05, target: '0' },
      out: path('poisoned.csv'),
      truth: path('truth.json'),
      triggeredTest: { input: path('test.csv'), output: path('triggered.csv') },
    })
    await trainEnsemble(path('poisoned.csv'), 'knn', [path('poisoned.onnx')], 1)
    // The inputs to explain: triggered digits the ensemble sends to the target, the attack's successes.
    const triggered = await loadDataset(path('triggered.csv'))
    const opened = await openModelFile(path('poisoned.onnx'), triggered)
    const predicted = predictedClasses(await opened.classifier.predict(triggered.features!))
    await opened.classifier.dispose()
    const rows = Int32Array.from(predicted.keys()).filter((row) => opened.classNames[predicted[row]] === '0')
    expect(rows.length).toBeGreaterThanOrEqual(10)
    await writeDataset(
      {
        ...triggered,
        rowCount: rows.length,
        ids: Array.from(rows, (row) => triggered.ids[row]),
        labels: undefined,
        features: selectRows(triggered.features!, rows),
      },
      path('successes.csv'),
    )
    const result = await traceModel({
      model: path('poisoned.onnx'),
      training: path('poisoned.csv'),
      inputs: path('successes.csv'),
      top: 20,
    })
    expect(result.ensemble).toMatchObject({ format: 'graph', attribution: 'neighbour votes' })
    expect(result.predictions).toEqual({ '0': rows.length })
    const truth = new Set(JSON.parse(readFileSync(path('truth.json'), 'utf8')))
    const poisoned = result.records.filter((record) => truth.has(record.id)).length
    expect(poisoned / result.records.length).toBeGreaterThanOrEqual(0.5)
  })

  it('traces an ensemble of networks in the input features and says so', async () => {
    const result = await traceModel({
      model: path('small'),
      training: path('small-train.csv'),
      inputs: path('small-clean.csv'),
      top: 20,
    })
    expect(result.ensemble).toMatchObject({ format: 'folder', attribution: 'input features' })
    expect(result.records).toHaveLength(20)
    expect(Object.values(result.predictions).reduce((sum, count) => sum + count, 0)).toBe(100)
  })
})
