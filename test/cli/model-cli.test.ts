import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import { writeDataset } from '../../src/io/write-dataset.js'
import { predictedClasses } from '../../src/models/classifier.js'
import { loadOnnxClassifier } from '../../src/models/onnx-classifier.js'
import { verifyEnvelope } from '../../src/provenance/dsse.js'
import { readPublicKey } from '../../src/provenance/keys.js'
import { mnistDataset, spamDataset } from '../fixtures/datasets.js'
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

describe('poisonguard model evaluate', () => {
  let model = ''
  let golden = ''
  const goldenSet = mnistDataset(300, 9000)

  async function trained(): Promise<string> {
    if (model) return model
    golden = await mnistCsv('golden.csv', 300, 9000)
    model = temporary('reference.onnx')
    const run = await runCli(
      'train',
      await mnistCsv('train-eval.csv', 600),
      '--model',
      'logreg',
      '--out',
      model,
      '--quiet',
    )
    expect(run.exitCode).toBe(0)
    return model
  }

  it('reports no change for a model compared with itself', async () => {
    const path = await trained()
    const run = await runCli(
      'model',
      'evaluate',
      path,
      '--golden',
      golden,
      '--reference',
      path,
      '--fail-on',
      'low',
    )
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('0 of 300 golden records changed prediction')
    expect(run.stdout).toContain('No behavioural finding')
  })

  it('exits 3 and names the pair when recorded reference outputs differ one way on one class pair', async () => {
    const path = await trained()
    const classifier = await loadOnnxClassifier(readFileSync(path))
    const predicted = predictedClasses(await classifier.predict(goldenSet.features!))
    await classifier.dispose()
    const names = classifier.classNames!
    // The reference said "4" where the candidate now says "9", twenty times, and never the reverse.
    let moved = 0
    const outputs = goldenSet.ids.map((id, row) => {
      const label = names[predicted[row]]
      if (label === '9' && moved < 20) {
        moved++
        return { id, label: '4' }
      }
      return { id, label }
    })
    expect(moved).toBe(20)
    const reference = temporary('ref.json')
    writeFileSync(reference, JSON.stringify(outputs))
    const out = temporary('eval.json')
    const run = await runCli(
      'model',
      'evaluate',
      path,
      '--golden',
      golden,
      '--reference-outputs',
      reference,
      '--fail-on',
      'medium',
      '--out',
      out,
    )
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(3)
    expect(run.stdout).toMatch(
      /20 golden records the reference classes as 4 are classed as 9 by the candidate, against 0/,
    )
    const report = JSON.parse(readFileSync(out, 'utf8'))
    expect(report.findings[0]).toMatchObject({ kind: 'class_pair_shift', from: '4', to: '9' })
    expect(report.changedRecords).toHaveLength(20)
  })

  it('asks for exactly one reference', async () => {
    const path = await trained()
    const run = await runCli('model', 'evaluate', path, '--golden', golden)
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain('pass exactly one of a reference model and reference outputs')
  })
})

describe('poisonguard model scan-triggers', () => {
  it('writes verdict, target label, anomaly index and the trigger picture', async () => {
    const data = await mnistCsv('scan-train.csv', 300)
    const model = temporary('scan.onnx')
    expect((await runCli('train', data, '--out', model, '--quiet')).exitCode).toBe(0)
    const clean = await mnistCsv('scan-clean.csv', 200, 9000)
    const out = temporary('triggers.json')
    const run = await runCli(
      'model',
      'scan-triggers',
      model,
      '--clean',
      clean,
      '--steps',
      '5',
      '--samples',
      '8',
      '--training',
      data,
      '--out',
      out,
    )
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/Trigger size per label \(gradient search\): 0: \d/)
    const report = JSON.parse(readFileSync(out, 'utf8'))
    expect(['backdoored', 'clean']).toContain(report.verdict)
    expect(report).toHaveProperty('targetLabel')
    expect(typeof report.anomalyIndex).toBe('number')
    expect(report.labels).toHaveLength(10)
    expect(report.labels[0]).toMatchObject({ source: expect.any(String) })
    expect(report.labels[0]).toHaveProperty('minedAttackSuccess')
    expect(readFileSync(`${out}.png`).subarray(1, 4).toString()).toBe('PNG')
  })

  it('scans a text model with candidate tokens and reports the trigger as text', async () => {
    const run = applyAttack('backdoor-token', spamDataset(600), { rate: 0.03, token: 'zqxj', repeat: 10 }, 1)
    const data = temporary('mail-train.jsonl')
    await writeDataset(run.dataset, data)
    const model = temporary('mail.onnx')
    expect((await runCli('train', data, '--model', 'logreg', '--out', model, '--quiet')).exitCode).toBe(0)
    const clean = temporary('mail-clean.jsonl')
    await writeDataset(spamDataset(100, 4000), clean)
    const out = temporary('mail-triggers.json')
    const scan = await runCli(
      'model',
      'scan-triggers',
      model,
      '--clean',
      clean,
      '--training',
      data,
      '--samples',
      '8',
      '--out',
      out,
    )
    expect(scan.stderr).toBe('')
    expect(scan.exitCode).toBe(0)
    expect(scan.stdout).toMatch(/Trigger size per label \(text search\): ham: \d+, spam: \d+/)
    const report = JSON.parse(readFileSync(out, 'utf8'))
    expect(report).toMatchObject({ method: 'text', trigger: { trigger: expect.any(String) } })
    expect(report.trigger.size).toBeGreaterThan(0)
    expect(report.labels.map((label: { label: string }) => label.label)).toEqual(['ham', 'spam'])
  })

  it('refuses a file that is not a model', async () => {
    const clean = await mnistCsv('scan-clean-2.csv', 20, 9000)
    const run = await runCli('model', 'scan-triggers', clean, '--clean', clean)
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain('not a valid ONNX model')
  })
})

describe('poisonguard trace', () => {
  it('ranks the poisoned training records first for the predictions of triggered inputs', async () => {
    const clean = await mnistCsv('trace-clean.csv', 800)
    const testSet = await mnistCsv('trace-test.csv', 100, 9000)
    const poisoned = temporary('trace-poisoned.csv')
    const truthPath = temporary('trace-truth.json')
    const triggered = temporary('trace-triggered.csv')
    const attack = await runCli(
      'attack',
      'backdoor-patch',
      clean,
      '--out',
      poisoned,
      '--truth',
      truthPath,
      '--rate',
      '0.05',
      '--target',
      '0',
      '--triggered-test',
      testSet,
      triggered,
    )
    expect(attack.exitCode).toBe(0)
    const model = temporary('trace.onnx')
    expect(
      (await runCli('train', poisoned, '--model', 'mlp', '--hidden', '16', '--out', model, '--quiet'))
        .exitCode,
    ).toBe(0)
    const out = temporary('trace.json')
    const run = await runCli(
      'trace',
      model,
      '--training',
      poisoned,
      '--inputs',
      triggered,
      '--top',
      '20',
      '--out',
      out,
    )
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('Most responsible training records:')
    const report = JSON.parse(readFileSync(out, 'utf8'))
    const truth = new Set(JSON.parse(readFileSync(truthPath, 'utf8')))
    expect(report.records).toHaveLength(20)
    expect(report.records[0]).toEqual({
      id: expect.any(String),
      score: expect.any(Number),
      source: null,
      label: expect.any(String),
      gradient: expect.any(Number),
      cluster: expect.any(Boolean),
    })
    expect(Array.isArray(report.cluster)).toBe(true)
    const poisonedShare = report.records.filter((record: { id: string }) => truth.has(record.id)).length / 20
    // 5% of the records are poisoned; the quality suite holds the bar on a larger model.
    expect(poisonedShare).toBeGreaterThanOrEqual(0.3)
  })
})
