import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import { writeDataset } from '../../src/io/write-dataset.js'
import { mnistDataset } from '../fixtures/datasets.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { runCli } from './run-cli.js'
import { spawnCli } from './spawn-cli.js'

const temporary = useTemporaryFolder()

const digestOf = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

/** Hidden temporary and backup files an interrupted or failed write could leave. */
const leftovers = (folder: string) => readdirSync(folder).filter((name) => /\.(tmp|bak)$/.test(name))

/** Only the fast detector: the refusals happen after the scan, whichever detectors ran. */
const quickScan = ['--detectors', 'knn-label-consistency', '-q']

describe('outputs never clobber', () => {
  let data = ''
  let reference = ''
  beforeAll(async () => {
    data = temporary('m.csv')
    reference = temporary('reference.csv')
    expect((await runCli('datasets', 'export', 'mnist', '--out', data, '--limit', '120')).exitCode).toBe(0)
    writeFileSync(reference, readFileSync(data))
  })

  it('no command replaces its own input, whichever flag names it', async () => {
    const report = temporary('refused-report.json')
    const before = digestOf(data)
    const refusal = (flag: string, input: string) =>
      `${flag} ${input}: the output would overwrite the input ${input}; write it to a new path`
    const cases: [string[], string][] = [
      [['scan', data, '--out', data, ...quickScan], refusal('--out', data)],
      [['scan', data, '--out', report, '--html', data, ...quickScan], refusal('--html', data)],
      [
        ['scan', data, '--out', report, '--export-clean', data, ...quickScan],
        refusal('--export-clean', data),
      ],
      [['scan', data, '--out', report, '--relabel', data, ...quickScan], refusal('--relabel', data)],
      [['schema', 'infer', data, '--out', data], refusal('--out', data)],
      [['check', data, '--reference', reference, '--out', data, '--no-mmd', '-q'], refusal('--out', data)],
      [
        ['check', data, '--reference', reference, '--out', reference, '--no-mmd', '-q'],
        refusal('--out', reference),
      ],
      [
        ['manifest', 'create', data, '--out', data, '--quiet'],
        `${data}: the output would overwrite the input ${data}`,
      ],
    ]
    for (const [argv, message] of cases) {
      const run = await runCli(...argv)
      expect(run.exitCode, argv.join(' ')).toBe(1)
      expect(run.stderr, argv.join(' ')).toContain(`error: ${message}`)
    }
    expect(digestOf(data)).toBe(before)
    expect(digestOf(reference)).toBe(before)
    expect(existsSync(report)).toBe(false)
    expect(existsSync(temporary('m.manifest.records.jsonl'))).toBe(false)
  })

  it('attack never writes into the image folder it reads', async () => {
    const images = temporary('digits')
    await writeDataset(mnistDataset(20), images, { format: 'images' })
    const before = readdirSync(images, { recursive: true }).sort()
    const truth = temporary('digits-truth.json')
    const run = await runCli(
      'attack',
      'label-flip',
      images,
      '--out',
      join(images, 'poisoned'),
      '--truth',
      truth,
    )
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain(
      `the output is inside the input folder ${images}; write it outside the input`,
    )
    expect(readdirSync(images, { recursive: true }).sort()).toEqual(before)
    expect(existsSync(truth)).toBe(false)
  })

  it('refuses a FIFO or a device as an output and leaves it as it was', async () => {
    const fifo = temporary('pipe')
    execFileSync('mkfifo', [fifo])
    const intoFifo = await runCli('datasets', 'export', 'mnist', '--out', fifo, '--limit', '5')
    expect(intoFifo.exitCode).toBe(1)
    expect(intoFifo.stderr).toContain(`${fifo}: it is a FIFO (named pipe), not a regular file`)
    expect(statSync(fifo).isFIFO()).toBe(true)
    const schema = await runCli('schema', 'infer', data, '--out', fifo)
    expect(schema.stderr).toContain(`--out ${fifo}: it is a FIFO (named pipe)`)
    expect(statSync(fifo).isFIFO()).toBe(true)
    if (process.getuid?.() === 0) {
      // Root may rename over /dev/null; the layer must refuse before it tries.
      const intoNull = await runCli('schema', 'infer', data, '--out', '/dev/null')
      expect(intoNull.exitCode).toBe(1)
      expect(intoNull.stderr).toContain('--out /dev/null: it is a character device, not a regular file')
      expect(statSync('/dev/null').isCharacterDevice()).toBe(true)
    }
  })

  it('refuses --out equal to --html instead of losing the JSON', async () => {
    const both = temporary('both.json')
    const run = await runCli('scan', data, '--out', both, '--html', both, ...quickScan)
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain(`--html ${both}: the output is the same file as --out ${both}`)
    expect(existsSync(both)).toBe(false)
  })

  it('exits 1 with a clear message for an output under a regular file', async () => {
    const under = join(data, 'r.json')
    for (const argv of [
      ['scan', data, '--out', under, ...quickScan],
      ['schema', 'infer', data, '--out', under],
      ['manifest', 'create', data, '--out', under, '--quiet'],
      ['keygen', '--out', join(data, 'key')],
    ]) {
      const run = await runCli(...argv)
      expect(run.exitCode, argv.join(' ')).toBe(1)
      expect(run.stderr, argv.join(' ')).toContain(`${data} is a regular file, not a folder`)
    }
  })

  it('attack writes no truth file when writing the poisoned dataset fails', async () => {
    const written = (out: string, truth: string) => [out, truth, `${out}.meta.json`].filter(existsSync)
    // An existing folder as --out: its rename used to fail only after the truth file was in place.
    const folderOut = temporary('a-folder')
    mkdirSync(folderOut)
    const truth = temporary('clash-truth.json')
    const intoFolder = await runCli('attack', 'label-flip', data, '--out', folderOut, '--truth', truth)
    expect(intoFolder.exitCode).toBe(1)
    expect(intoFolder.stderr).toContain(`--out ${folderOut}: it is a folder, not a regular file`)
    expect(written(folderOut, truth)).toEqual([folderOut])
    // A feature named "text" (--features) while --text names another column cannot be written back, as a
    // feature may not take a role column's name: the dataset write fails after the truth file was staged.
    const input = temporary('clash.csv')
    const rows = Array.from({ length: 40 }, (_, row) => `r${row},${row % 2},${row},mail ${row},${row * 0.5}`)
    writeFileSync(input, `${['id,label,text,body,x', ...rows].join('\n')}\n`)
    const out = temporary('clash-poisoned.csv')
    const roles = ['--text', 'body', '--features', 'text,x']
    const run = await runCli('attack', 'label-flip', input, ...roles, '--out', out, '--truth', truth)
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain('cannot write feature column "text"')
    expect(written(out, truth)).toEqual([])
    expect(leftovers(temporary(''))).toEqual([])
  })

  it('shows terminal escape sequences in column names as text', async () => {
    const input = temporary('escapes.csv')
    writeFileSync(input, 'id,"label\u001b]0;pwned\u0007\u001b[2J",x\n1,a,1\n2,b,2\n')
    const run = await runCli(
      'schema',
      'infer',
      input,
      '--label',
      'nosuch',
      '--out',
      temporary('escapes.json'),
    )
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain('label\\u001b]0;pwned\\u0007\\u001b[2J')
    expect([...run.stderr].filter((char) => char < ' ' && char !== '\n')).toEqual([])
  })
})

describe('an interrupted write', () => {
  it('leaves no temporary file and no partial output when SIGTERM arrives', async () => {
    const folder = temporary('interrupted')
    mkdirSync(folder)
    const out = join(folder, 'mnist.csv')
    // The full export writes about 20 MB, long enough to find it in the middle of its write.
    const { child, exited } = spawnCli(['datasets', 'export', 'mnist', '--out', out])
    while (leftovers(folder).length === 0) {
      expect(child.exitCode, 'the export ended before its temporary file was seen').toBeNull()
      await sleep(5)
    }
    // Frozen while the temporary file exists, the process is certainly inside the write when SIGTERM comes.
    child.kill('SIGSTOP')
    expect(existsSync(out)).toBe(false)
    expect(leftovers(folder)).toHaveLength(1)
    child.kill('SIGTERM')
    child.kill('SIGCONT')
    expect((await exited).signal).toBe('SIGTERM')
    expect(readdirSync(folder)).toEqual([])
  })
})
