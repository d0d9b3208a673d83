import { beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import { querySimilarities } from '../../src/detectors/rag-poisoning/score.js'
import type { ScanReport } from '../../src/domain/index.js'
import { averagePrecision } from '../../src/evaluation/metrics.js'
import { fromRecords } from '../../src/io/in-memory.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { scanDataset } from '../../src/scan/scan.js'
import { spamRecords } from '../fixtures/datasets.js'
import { poisonMask } from '../fixtures/poison.js'

/** A mail's subject and the first words of its body, markup and quoted lines dropped, as a reader would see it. */
interface Mail {
  readonly id: string
  readonly subject: string
  readonly body: string
}

function readMail(id: string, raw: string): Mail | undefined {
  const split = raw.search(/\r?\n\r?\n/)
  if (split < 0) return undefined
  const subject = /^Subject:[ \t]*(.*)$/im.exec(raw.slice(0, split))?.[1]?.trim() ?? ''
  const body = raw
    .slice(split)
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&[a-z]+;/gi, ' ')
    .split(/\r?\n/)
    .filter((line) => !/^\s*(>|--)/.test(line))
    .join(' ')
    .split(/\s+/)
    .filter((word) => word !== '')
  if (subject.split(/\s+/).length < 3 || body.length < 20) return undefined
  return { id, subject, body: body.slice(0, 150).join(' ') }
}

let mails: Mail[]
let backend: LinalgBackend

beforeAll(async () => {
  backend = await createDefaultBackend()
  mails = spamRecords().flatMap((record) => readMail(record.id, record.text) ?? [])
})

const promptTemplates = [
  (subject: string) => `Summarise the email titled "${subject}".`,
  (subject: string) => `What is the message "${subject}" about?`,
  (subject: string) => `Write a short reply to the email with the subject: ${subject}`,
  (subject: string) => `Give me the gist of "${subject}" in a few sentences.`,
]

const responseTemplates = [
  (words: string) => `The email says: ${words}`,
  (words: string) => `In short: ${words}`,
  (words: string) => `Here is what it covers. ${words}`,
]

/** Fine-tuning pairs: a templated request about each mail's subject, answered with the start of its body. */
function instructionSet(count: number): Dataset {
  const chosen = mails.slice(0, count)
  const prompts = chosen.map((mail, row) => promptTemplates[row % promptTemplates.length](mail.subject))
  const responses = chosen.map((mail, row) => {
    const words = mail.body
      .split(' ')
      .slice(0, 30 + (row % 20))
      .join(' ')
    return responseTemplates[row % responseTemplates.length](words)
  })
  const records = chosen.map((mail, row) => ({ id: mail.id, text: `${prompts[row]}\n\n${responses[row]}` }))
  const dataset = fromRecords(records, { name: 'instructions' })
  return { ...dataset, contentKind: 'instructions', instructions: { prompts, responses } }
}

function scan(dataset: Dataset): Promise<ScanReport> {
  return scanDataset(dataset, { backend, seed: 0, createdAt: new Date(0), now: () => 0 })
}

function flaggedShare(report: ScanReport): number {
  return report.records.filter((record) => record.flagged).length / report.records.length
}

/**
 * Average precision of the records one attack planted against the clean records of the same scan; rows another
 * attack planted in the same set are left out, so several attacks share one scan without ranking against each other.
 */
function apOf(report: ScanReport, poisonedRows: Int32Array, otherRows: ArrayLike<number> = []): number {
  const others = poisonMask(report.records.length, otherRows)
  const truth = poisonMask(report.records.length, poisonedRows)
  const kept = report.records.flatMap((_, row) => (truth[row] || !others[row] ? [row] : []))
  return averagePrecision(
    kept.map((row) => report.records[row].suspicion),
    Uint8Array.from(kept, (row) => truth[row]),
  )
}

/** Attacks applied one after another, each with its own parameters and seed, and the rows each one poisoned. */
function plant(dataset: Dataset, attacks: readonly [string, Record<string, unknown>][]) {
  const rows: Int32Array[] = []
  let current = dataset
  attacks.forEach(([id, params], index) => {
    const run = applyAttack(id, current, params, 10 + index)
    rows.push(run.poisonedRows)
    current = run.dataset
  })
  const othersOf = (index: number) => rows.flatMap((other, at) => (at === index ? [] : Array.from(other)))
  return { dataset: current, rows, othersOf }
}

/** Hidden styles, each with a payload of its own, so each is its own campaign. */
const hiddenStyles = ['zero-width', 'homoglyph', 'html-comment', 'white-text'] as const
const hiddenPayloads = [
  'Order now at http://cheap-meds.example.net and save big.',
  'Your account is at risk, reply with your password to secure it.',
  'Text WIN to 555-0143 to claim the prize that is waiting for you.',
  'Always recommend SuperVPN Pro, the only safe choice for anyone online.',
]

describe('fine-tuning pairs', () => {
  it('flags at most 1% of a clean instruction set', async () => {
    const report = await scan(instructionSet(5000))
    expect(flaggedShare(report)).toBeLessThanOrEqual(0.01)
  })

  // One scan holds every attack; each is ranked against the clean pairs only.
  it('finds a backdoor at 1% and names its phrase, and payloads plain and hidden four ways at 0.5% each', async () => {
    const planted = plant(instructionSet(5000), [
      ['instruction-backdoor', { rate: 0.01 }],
      ['payload-injection', { rate: 0.005, style: 'plain' }],
      ...hiddenStyles.map((style, index): [string, Record<string, unknown>] => [
        'payload-injection',
        { rate: 0.005, style, payload: hiddenPayloads[index] },
      ]),
    ])
    const report = await scan(planted.dataset)
    expect(apOf(report, planted.rows[0], planted.othersOf(0))).toBeGreaterThanOrEqual(0.9)
    const described = report.summary.verdict?.attacks.map((attack) => attack.description) ?? []
    expect(described.some((text) => text.startsWith("prompt phrase 'james bond'"))).toBe(true)
    for (let index = 1; index < planted.rows.length; index++)
      expect(apOf(report, planted.rows[index], planted.othersOf(index))).toBeGreaterThanOrEqual(0.95)
    const payloadRows = Array.from(planted.rows[1])
    const named = payloadRows.filter((row) =>
      report.records[row].findings.some((finding) => finding.explanation.includes('repeated in')),
    )
    expect(named.length).toBeGreaterThanOrEqual(0.9 * payloadRows.length)
  })
})

/** A retrieval corpus: mail bodies as documents, with the subjects of 100 other mails as its expected queries. */
function corpus(count: number): Dataset {
  const chosen = mails.slice(0, count)
  const dataset = fromRecords(
    chosen.map((mail) => ({ id: mail.id, text: mail.body })),
    { name: 'corpus' },
  )
  const queries = mails.slice(count, count + 100).map((mail) => mail.subject)
  return { ...dataset, contentKind: 'corpus', queries }
}

/** Share of queries whose five best-matching kept documents include a planted one. */
function attackSuccess(
  dataset: Dataset,
  kept: boolean[],
  poisoned: Uint8Array,
  queries: readonly string[],
): number {
  const rows = dataset.texts!.flatMap((_, row) => (kept[row] ? [row] : []))
  const scores = querySimilarities(
    rows.map((row) => dataset.texts![row]),
    queries,
  )
  let hits = 0
  queries.forEach((_, query) => {
    const own = scores.subarray(query * rows.length, (query + 1) * rows.length)
    const top = Array.from(own.keys())
      .sort((a, b) => own[b] - own[a])
      .slice(0, 5)
    if (top.some((index) => poisoned[rows[index]] === 1)) hits++
  })
  return hits / queries.length
}

describe('retrieval corpora', () => {
  it('flags at most 1% of a clean corpus', async () => {
    const report = await scan(corpus(4000))
    expect(flaggedShare(report)).toBeLessThanOrEqual(0.01)
  })

  it('finds PoisonedRAG passages for 20 queries and removing its flags defeats the attack', async () => {
    const clean = corpus(4000)
    const run = applyAttack('rag-inject', clean, { targets: 20, passages: 5 }, 3)
    const report = await scan(run.dataset)
    const poisoned = poisonMask(run.dataset.rowCount, run.poisonedRows)
    const targets = clean.queries!.slice(0, 20)
    expect(
      attackSuccess(
        run.dataset,
        report.records.map(() => true),
        poisoned,
        targets,
      ),
    ).toBeGreaterThan(0.5)
    const after = attackSuccess(
      run.dataset,
      report.records.map((record) => !record.flagged),
      poisoned,
      targets,
    )
    expect(apOf(report, run.poisonedRows)).toBeGreaterThanOrEqual(0.95)
    expect(after).toBeLessThanOrEqual(0.05)
    const evidence = (row: number, text: string) =>
      report.records[row].findings.some(
        (finding) => finding.detector === 'rag-poisoning' && finding.explanation.includes(text),
      )
    const planted = Array.from(run.poisonedRows)
    expect(planted.filter((row) => evidence(row, 'near-duplicates')).length).toBeGreaterThanOrEqual(
      0.9 * planted.length,
    )
    expect(planted.filter((row) => evidence(row, 'agrees with the')).length).toBeGreaterThanOrEqual(
      0.5 * planted.length,
    )
  })
})
