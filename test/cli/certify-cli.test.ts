import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { writeDataset } from '../../src/io/write-dataset.js'
import { predictedClasses } from '../../src/models/classifier.js'
import { loadOnnxClassifier } from '../../src/models/onnx-classifier.js'
import { predictMember } from '../../src/robust/learners.js'
import { decodeMember } from '../../src/robust/onnx-ensemble.js'
import type { CertifyReport } from '../../src/workflows/certify-file.js'
import { mnistDataset } from '../fixtures/datasets.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { runCli } from './run-cli.js'

const path = useTemporaryFolder()
const train = () => path('train.csv')
const test = () => path('test.csv')
const testDigits = mnistDataset(150, 9000)

beforeAll(async () => {
  await writeDataset(mnistDataset(1000), train())
  await writeDataset(testDigits, test())
})

function readReport(file: string): CertifyReport {
  return JSON.parse(readFileSync(file, 'utf8')) as CertifyReport
}

describe('poisonguard certify', () => {
  it('trains a DPA ensemble, certifies every record, writes JSON, HTML and the ensemble folder', async () => {
    const [out, html, folder] = [path('c.json'), path('c.html'), path('ensemble')]
    const result = await runCli(
      'certify',
      '--train',
      train(),
      '--data',
      test(),
      '--partitions',
      '10',
      '--out',
      out,
      '--html',
      html,
      '--save-model',
      folder,
      '--quiet',
    )
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain('Certified 150 records with dpa (10 partitions, knn, 10 members).')
    expect(result.stdout).toMatch(/radius {2}certified accuracy\n {5}0 {2}\s*\d+\.\d\d%/)
    const report = readReport(out)
    expect(report.records).toHaveLength(150)
    expect(report.records.map((record) => record.id)).toEqual(testDigits.ids)
    const correct = report.records.filter((record) => record.correct).length
    expect(report.cleanAccuracy).toBeCloseTo(correct / 150, 10)
    expect(report.curve[0].certifiedAccuracy).toBe(report.cleanAccuracy)
    for (const record of report.records) expect(record.votes).toBeGreaterThanOrEqual(record.runnerUpVotes)
    expect(readFileSync(html, 'utf8')).toContain('<svg class="curve"')
    expect(readdirSync(folder).sort()).toEqual([
      'ensemble.json',
      ...Array.from({ length: 10 }, (_, i) => `member-${i}.onnx`),
    ])

    // The saved folder certifies the same records the same way.
    const again = path('again.json')
    const reload = await runCli('certify', folder, '--data', test(), '--out', again, '--quiet')
    expect(reload.exitCode).toBe(0)
    expect(readReport(again).records).toEqual(report.records)

    // Each member is a plain ONNX classifier: onnxruntime predicts what poisonguard does.
    const bytes = new Uint8Array(readFileSync(join(folder, 'member-3.onnx')))
    const member = decodeMember(bytes, 'member-3.onnx')
    const classifier = await loadOnnxClassifier(bytes)
    const x = testDigits.features!
    expect(Array.from(predictedClasses(await classifier.predict(x)))).toEqual(
      Array.from(predictMember(member, x)),
    )
    await classifier.dispose()
  })

  it('certifies with Finite Aggregation and a logistic-regression learner', async () => {
    const out = path('finite.json')
    const result = await runCli(
      'certify',
      '--train',
      train(),
      '--data',
      test(),
      '--partitions',
      '5',
      '--scheme',
      'finite',
      '--spread',
      '2',
      '--learner',
      'logreg',
      '--out',
      out,
      '--quiet',
    )
    expect(result.exitCode).toBe(0)
    const report = readReport(out)
    expect(report.model).toMatchObject({
      scheme: 'finite',
      partitions: 5,
      spread: 2,
      members: 10,
      learner: 'logreg',
    })
    expect(report.cleanAccuracy).toBeGreaterThan(0.5)
  })

  it('refuses a missing ensemble, a file for a folder and a broken manifest, writing nothing', async () => {
    const out = path('never.json')
    const neither = await runCli('certify', '--data', test(), '--out', out)
    expect(neither.exitCode).toBe(1)
    expect(neither.stderr).toContain('no ensemble to certify with')
    const file = await runCli('certify', test(), '--data', test(), '--out', out)
    expect(file.exitCode).toBe(1)
    expect(file.stderr).toContain(
      'expected an ensemble (a folder with ensemble.json, or one ONNX graph of an ensemble)',
    )
    const broken = path('broken')
    await runCli(
      'certify',
      '--train',
      train(),
      '--data',
      test(),
      '--partitions',
      '2',
      '--out',
      path('b.json'),
      '--save-model',
      broken,
    )
    writeFileSync(
      join(broken, 'ensemble.json'),
      JSON.stringify({ format: 'poisonguard-ensemble', version: 2 }),
    )
    const bad = await runCli('certify', broken, '--data', test(), '--out', out)
    expect(bad.exitCode).toBe(1)
    expect(bad.stderr).toContain('not a valid ensemble manifest')
    expect(existsSync(out)).toBe(false)
  })
})

describe('poisonguard train --robust', () => {
  it('writes a DPA ensemble folder that certify takes', async () => {
    const folder = path('trained-ensemble')
    const trained = await runCli('train', train(), '--robust', 'dpa', '--partitions', '10', '--out', folder)
    expect(trained.stderr).toBe('')
    expect(trained.exitCode).toBe(0)
    expect(trained.stdout).toContain(
      `Trained 10 knn members over 10 partitions (dpa); wrote the ensemble folder ${folder}.`,
    )
    const out = path('trained.json')
    const certified = await runCli('certify', folder, '--data', test(), '--out', out, '--quiet')
    expect(certified.exitCode).toBe(0)
    expect(readReport(out).model).toMatchObject({ scheme: 'dpa', partitions: 10, learner: 'knn' })
  })

  it('writes a 3-NN ensemble as one ONNX graph that certify and model evaluate take like its folder', async () => {
    const graph = path('ensemble.onnx')
    const folder = path('ensemble-3nn')
    for (const out of [graph, folder]) {
      const args = ['--robust', 'dpa', '--partitions', '10', '--neighbours', '3', '--out', out]
      const trained = await runCli('train', train(), ...args)
      expect(trained.stderr).toBe('')
      expect(trained.exitCode).toBe(0)
    }
    const out = path('graph.json')
    const certified = await runCli('certify', graph, '--data', test(), '--out', out, '--quiet')
    expect(certified.exitCode).toBe(0)
    expect(readReport(out).model).toMatchObject({ scheme: 'dpa', partitions: 10, learner: 'knn' })
    const evaluated = await runCli('model', 'evaluate', graph, '--golden', test(), '--reference', folder)
    expect(evaluated.stderr).toBe('')
    expect(evaluated.stdout).toMatch(/^0 of \d+ golden records changed prediction/)
  })

  it('trains the MLP adversarially and names the procedure in its model card', async () => {
    const out = path('adversarial-mlp.onnx')
    const args = ['--model', 'mlp', '--hidden', '8', '--epochs', '1', '--robust', 'adversarial']
    const run = await runCli('train', train(), ...args, '--pgd-steps', '1', '--out', out, '--quiet')
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    const envelope = JSON.parse(readFileSync(`${out}.card.json`, 'utf8'))
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'))
    expect(statement.predicate.model).toMatchObject({ kind: 'mlp', parameters: { hiddenUnits: 8 } })
    expect(statement.predicate.training).toEqual({
      procedure: 'adversarial',
      parameters: { epsilon: 0.1, pgdSteps: 1 },
    })
  })

  it('trains the logistic regression adversarially and names the procedure in its model card', async () => {
    const out = path('adversarial.onnx')
    const run = await runCli(
      'train',
      train(),
      '--robust',
      'adversarial',
      '--epsilon',
      '0.05',
      '--epochs',
      '2',
      '--out',
      out,
      '--quiet',
    )
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    const envelope = JSON.parse(readFileSync(`${out}.card.json`, 'utf8'))
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'))
    expect(statement.predicate.training).toEqual({
      procedure: 'adversarial',
      parameters: { epsilon: 0.05, pgdSteps: 3 },
    })
    const classifier = await loadOnnxClassifier(new Uint8Array(readFileSync(out)))
    const predicted = predictedClasses(await classifier.predict(testDigits.features!))
    await classifier.dispose()
    const correct = Array.from(predicted).filter((code, row) => code === testDigits.labels!.codes[row]).length
    expect(correct / testDigits.rowCount).toBeGreaterThan(0.6)
  })

  it('refuses robust losses for the MLP before writing anything', async () => {
    const out = path('gce-mlp.onnx')
    const run = await runCli('train', train(), '--robust', 'gce', '--model', 'mlp', '--out', out)
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain('gce training exists for the logistic regression only')
    expect(existsSync(out) || existsSync(`${out}.card.json`)).toBe(false)
  })

  it('names the source whose labels were flipped in a per-source report', async () => {
    const digits = mnistDataset(1000, 3000)
    const sources = digits.ids.map((_, row) => `source-${row % 5}`)
    const codes = Int32Array.from(digits.labels!.codes, (code, row) =>
      row % 5 === 2 ? (code + 1) % 10 : code,
    )
    const data = path('sourced.csv')
    await writeDataset({ ...digits, sources, labels: { ...digits.labels!, codes } }, data)
    const out = path('sources.json')
    const run = await runCli('train', data, '--robust', 'per-source', '--out', out)
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    const report = JSON.parse(readFileSync(out, 'utf8'))
    expect(report.grouping).toBe('source')
    expect(report.sources[0]).toMatchObject({ source: 'source-2', flagged: true })
    expect(report.sources.filter((source: { flagged: boolean }) => source.flagged)).toHaveLength(1)
    expect(run.stdout).toContain('1 disagree beyond chance (source-2)')
  })
})
