import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { writeDataset } from '../../src/io/write-dataset.js'
import { verifyEnvelope } from '../../src/provenance/dsse.js'
import { readPublicKey } from '../../src/provenance/keys.js'
import { mnistDataset } from '../fixtures/datasets.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { runCli } from './run-cli.js'

const temporary = useTemporaryFolder()

async function mnistCsv(name: string, rowCount: number, offset = 0): Promise<string> {
  const path = temporary(name)
  await writeDataset(mnistDataset(rowCount, offset), path)
  return path
}

describe('poisonguard train', () => {
  it('writes an ONNX model and a signed model card that names the data and the model', async () => {
    const data = await mnistCsv('train.csv', 400)
    const keygen = await runCli('keygen', '--out', temporary('team'))
    expect(keygen.exitCode).toBe(0)
    const out = temporary('model.onnx')
    const run = await runCli(
      'train',
      data,
      '--model',
      'mlp',
      '--epochs',
      '2',
      '--hidden',
      '16',
      '--seed',
      '3',
      '--out',
      out,
      '--key',
      temporary('team.pem'),
    )
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(
      /^Trained mlp on 400 records, 10 classes, seed 3: training accuracy \d+\.\d%\./,
    )
    const envelope = JSON.parse(readFileSync(`${out}.card.json`, 'utf8'))
    const payload = Buffer.from(envelope.payload, 'base64')
    const publicKey = await readPublicKey(temporary('team.pub.pem'))
    expect(verifyEnvelope(envelope, payload, publicKey).status).toBe('valid')
    const statement = JSON.parse(payload.toString('utf8'))
    expect(statement.subject[0].digest.sha256).toBe(
      createHash('sha256').update(readFileSync(out)).digest('hex'),
    )
    expect(statement.predicate).toMatchObject({
      model: { kind: 'mlp', inputWidth: 784, parameters: { hiddenUnits: 16, epochs: 2 } },
      seed: 3,
      training: { procedure: 'standard' },
      trainingData: {
        recordCount: 400,
        sha256: createHash('sha256').update(readFileSync(data)).digest('hex'),
      },
    })
    expect(statement.predicate.trainingData.merkleRoot).toMatch(/^[0-9a-f]{64}$/)
  })

  it('refuses data without labels and leaves no output behind', async () => {
    const data = temporary('unlabelled.csv')
    await writeDataset({ ...mnistDataset(50), labels: undefined }, data)
    const out = temporary('none.onnx')
    const run = await runCli('train', data, '--out', out)
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain('the dataset has no label column')
    expect(existsSync(out) || existsSync(`${out}.card.json`)).toBe(false)
  })
})
