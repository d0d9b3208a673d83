import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { CrowdReport } from '../../src/crowd/report.js'
import { type SimulatedAnnotator, simulateCrowd, spreadAccuracies } from '../../src/crowd/simulate.js'
import { fromRecords } from '../../src/io/in-memory.js'
import { writeDataset } from '../../src/io/write-dataset.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { runCli } from './run-cli.js'

const path = useTemporaryFolder()

/** 600 items of 3 classes, 12 annotators, 5 answers each; workers 0, 4 and 8 collude to answer "c0" on class c1. */
function writeAnswers(file: string): string {
  const annotators: SimulatedAnnotator[] = spreadAccuracies(12, 0.65, 0.95).map((accuracy, j) =>
    j % 4 === 0 ? { kind: 'colluder', accuracy: 0.9, victim: 1, target: 0 } : { kind: 'honest', accuracy },
  )
  const truth = Int32Array.from({ length: 600 }, (_, i) => (i * 7) % 3)
  const { table } = simulateCrowd(truth, 3, annotators, 5, 3)
  const lines = ['item,annotator,label,timestamp']
  for (let a = 0; a < table.item.length; a++) {
    const time = new Date(1_700_000_000_000 + (table.time?.[a] ?? 0) * 1000).toISOString()
    lines.push(
      `${table.itemIds[table.item[a]]},${table.annotatorIds[table.annotator[a]]},${table.classes[table.label[a]]},${time}`,
    )
  }
  writeFileSync(path(file), `${lines.join('\n')}\n`)
  return path(file)
}

describe('poisonguard crowd', () => {
  const answers = writeAnswers('answers.csv')

  it('writes the consensus, the JSON report and the HTML report, naming the colluders', async () => {
    const [out, report, html] = [path('consensus.csv'), path('crowd.json'), path('crowd.html')]
    const result = await runCli('crowd', answers, '--out', out, '--report', report, '--html', html, '--quiet')
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain(
      'Aggregated 3000 answers on 600 items from 12 annotators with dawid-skene.',
    )
    const consensus = readFileSync(out, 'utf8').trim().split('\n')
    expect(consensus[0]).toBe('item,label,confidence')
    expect(consensus).toHaveLength(601)
    const parsed = JSON.parse(readFileSync(report, 'utf8')) as CrowdReport
    const flagged = parsed.annotators.filter((entry) => entry.flagged).map((entry) => entry.annotator)
    expect(flagged.sort()).toEqual(['worker0', 'worker4', 'worker8'])
    expect([...parsed.groups[0].annotators].sort()).toEqual(['worker0', 'worker4', 'worker8'])
    expect(parsed.groups[0].pushed).toMatchObject({ trueClass: 'c1', label: 'c0' })
    expect(parsed.groups[0].evidence[0].signals).toContain('wrong-agreement')
    expect(parsed.summary.excludedAnnotators).toBe(3)
    const worker4 = parsed.annotators.find((entry) => entry.annotator === 'worker4')
    expect(worker4?.reason).toMatch(/colludes with (worker0, worker8|worker8, worker0) \(group 1\)/)
    expect(worker4?.interval[0]).toBeLessThan(worker4?.reliability ?? 0)
    // A colluder is right on other classes and wrong on c1, and the per-class intervals say so.
    const onVictim = worker4?.perClass.find((entry) => entry.class === 'c1')
    const elsewhere = worker4?.perClass.find((entry) => entry.class === 'c2')
    expect(onVictim?.interval[1]).toBeLessThan(elsewhere?.interval[0] ?? 0)
    const page = readFileSync(html, 'utf8')
    expect(page).toContain('aria-label="collusion graph"')
    expect(page).toContain('Confusion matrices')
  })

  it('reads JSON Lines with other column names and gold labels, and reports annotators against the gold', async () => {
    const lines = readFileSync(answers, 'utf8').trim().split('\n').slice(1)
    const jsonl = lines.map((line) => {
      const [task, worker, answer] = line.split(',')
      return JSON.stringify({ task, worker, answer })
    })
    writeFileSync(path('answers.jsonl'), `${jsonl.join('\n')}\n`)
    writeFileSync(path('gold.csv'), 'task,answer\nitem0,c0\nitem1,c1\nitem2,c2\nitem999,c1\n')
    const report = path('gold.json')
    const result = await runCli(
      'crowd',
      path('answers.jsonl'),
      '--out',
      path('consensus.jsonl'),
      '--report',
      report,
      '--gold',
      path('gold.csv'),
      '--item-column',
      'task',
      '--annotator-column',
      'worker',
      '--label-column',
      'answer',
      '--model',
      'mace',
    )
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain('warning: 1 items of the gold file')
    const first = JSON.parse(readFileSync(path('consensus.jsonl'), 'utf8').split('\n')[0])
    expect(first).toMatchObject({ item: 'item0', label: 'c0', confidence: 1 })
    const parsed = JSON.parse(readFileSync(report, 'utf8')) as CrowdReport
    expect(parsed.model).toBe('mace')
    expect(parsed.gold?.items).toBe(3)
    expect(parsed.annotators.some((entry) => entry.gold && entry.gold.total > 0)).toBe(true)
  })

  it('fails on a missing column with the file, the columns present and the flag to use, writing nothing', async () => {
    writeFileSync(path('no-label.csv'), 'item,annotator,answer\na,w1,x\n')
    const out = path('never.csv')
    const result = await runCli('crowd', path('no-label.csv'), '--out', out)
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain(
      'no-label.csv, line 2, row 1: no column "label" (--label-column); the columns are "item", "annotator", "answer"',
    )
    expect(result.stderr).toContain('hint: name the columns with --item-column')
    expect(existsSync(out)).toBe(false)
  })

  it('lists every empty cell and unreadable time with its row', async () => {
    writeFileSync(
      path('holes.csv'),
      'item,annotator,label,timestamp\na,w1,x,10\n,w2,y,11\nb,w1,,12\nb,w2,x,yesterday\n',
    )
    const result = await runCli('crowd', path('holes.csv'), '--out', path('holes-out.csv'))
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('row 2, column "item": the cell is empty (and 1 more problem)')
    expect(result.stderr).toContain('row 3, column "label": the cell is empty')
  })

  it('warns about repeated answers, a one-off label and a lone annotator instead of failing', async () => {
    writeFileSync(path('odd.csv'), 'item,annotator,label\na,w1,x\na,w1,y\nb,w1,y\nc,w1,z\nd,w1,x\n')
    const result = await runCli('crowd', path('odd.csv'), '--out', path('odd-out.csv'))
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain(
      'warning: 1 repeated answers of one annotator to one item were ignored, the first answer kept: w1 on a (rows 1 and 2)',
    )
    expect(result.stdout).toContain('warning: the label "z" appears only once (row 4)')
    expect(result.stdout).toContain('warning: only one annotator (w1) answered')
  })

  it('refuses an output that would overwrite the input', async () => {
    const result = await runCli('crowd', answers, '--out', answers)
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('the output would overwrite the input')
  })

  it('shows examples and exit codes in --help', async () => {
    const result = await runCli('crowd', '--help')
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain(
      '$ poisonguard crowd annotations.csv --out consensus.csv --report crowd.json --html crowd.html',
    )
    expect(result.stdout).toContain(
      'Exit codes: 0 done, 1 bad input or usage (nothing written), 2 internal error',
    )
  })
})

describe('poisonguard crowd on Parquet', () => {
  it('reads answers from a Parquet file with renamed columns', async () => {
    const records = Array.from({ length: 60 }, (_, index) => ({
      id: `answer${index}`,
      label: index % 3 === 0 ? 'no' : 'yes',
      source: `worker${index % 3}`,
      task: Math.floor(index / 3),
    }))
    const parquet = path('answers.parquet')
    await writeDataset(fromRecords(records), parquet, { format: 'parquet' })
    const out = path('parquet-consensus.csv')
    const result = await runCli(
      'crowd',
      parquet,
      '--out',
      out,
      '--item-column',
      'task',
      '--annotator-column',
      'source',
    )
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    const lines = readFileSync(out, 'utf8').trim().split('\n')
    expect(lines).toHaveLength(21)
    expect(lines[1]).toMatch(/^0,yes,/)
  })
})
