import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { mnistDataset } from '../../test/fixtures/datasets.js'
import { useTemporaryFolder } from '../../test/fixtures/files.js'
import { writeOutputsAtomically } from '../io/transaction.js'
import { writeDataset } from '../io/write-dataset.js'
import { readExportedNetwork } from '../models/onnx-export.js'
import { sequentialMemberExecutor } from '../robust/ensemble.js'
import { loadEnsembleFolder } from './ensemble-folder.js'
import { robustTrainFile, robustTrainOutput } from './robust-train.js'

const path = useTemporaryFolder()
const executor = sequentialMemberExecutor

beforeAll(async () => {
  await writeDataset(mnistDataset(800), path('train.csv'))
  await writeDataset(mnistDataset(300, 9000), path('test.csv'))
})

describe('robustTrainFile', () => {
  it('writes a DPA ensemble as a folder that loads back with its classes', async () => {
    const result = await robustTrainFile({ data: path('train.csv'), robust: 'dpa', partitions: 5, executor })
    await writeOutputsAtomically([robustTrainOutput(result, path('dpa'))])
    const loaded = await loadEnsembleFolder(path('dpa'))
    expect(loaded.ensemble.members).toHaveLength(5)
    expect(loaded.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
  })

  it('reports adversarial training against standard training under PGD and exports the model', async () => {
    const result = await robustTrainFile({
      data: path('train.csv'),
      robust: 'adversarial',
      epochs: 3,
      pgdSteps: 2,
      evaluate: path('test.csv'),
    })
    if (result.mode !== 'adversarial') throw new Error('expected an adversarial result')
    expect(result.evaluation!.robust).toBeGreaterThan(result.evaluation!.standardRobust)
    await writeOutputsAtomically([robustTrainOutput(result, path('adversarial.onnx'))])
    const network = readExportedNetwork(new Uint8Array(readFileSync(path('adversarial.onnx'))))
    expect(network?.layers[0].inCols).toBe(784)
  })

  it('trains the MLP adversarially and reports it against the standard MLP under PGD', async () => {
    const result = await robustTrainFile({
      data: path('train.csv'),
      robust: 'adversarial',
      model: 'mlp',
      hiddenUnits: 16,
      epochs: 3,
      pgdSteps: 2,
      epsilon: 0.07,
      evaluate: path('test.csv'),
    })
    if (result.mode !== 'adversarial') throw new Error('expected an adversarial result')
    expect(result.network.kind).toBe('mlp')
    expect(result.network.layers[0].outCols).toBe(16)
    expect(result.evaluation!.robust).toBeGreaterThan(result.evaluation!.standardRobust)
  })

  it('lists the records behind each random subset by id under per-source', async () => {
    const result = await robustTrainFile({ data: path('train.csv'), robust: 'per-source', executor })
    await writeOutputsAtomically([robustTrainOutput(result, path('sources.json'))])
    const written = JSON.parse(readFileSync(path('sources.json'), 'utf8'))
    expect(written.grouping).toBe('random-subset')
    const ids = new Set(mnistDataset(800).ids)
    for (const source of written.sources) for (const id of source.records) expect(ids.has(id)).toBe(true)
  })
})
