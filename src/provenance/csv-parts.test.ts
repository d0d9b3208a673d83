import { generateKeyPairSync } from 'node:crypto'
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { CALLER_SHARE, ChunkRing } from './csv-parts.js'
import { csvCutAfter } from './csv-split.js'
import { coreFreeForWorker, type DigestOptions, digestDataset } from './dataset-digest.js'
import { createManifest } from './manifest.js'
import { SidecarWriter } from './sidecar-writer.js'
import { verifyDatasetAgainstManifest } from './verify.js'

const dir = mkdtempSync(join(tmpdir(), 'poisonguard-csv-parts-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// A worker thread cannot start from a `.ts` file: this entry loads the TypeScript worker through the test hooks.
const workerUrl = pathToFileURL(join(dir, 'digest-worker.mjs'))
writeFileSync(
  workerUrl,
  [
    `await import(${JSON.stringify(pathToFileURL(resolve('test/fixtures/register-typescript.mjs')).href)})`,
    `await import(${JSON.stringify(new URL('./digest-worker.ts', import.meta.url).href)})`,
  ].join('\n'),
)
const twoThreads: DigestOptions = { threads: 2, workerUrl, parallelFromBytes: 0 }

let counter = 0
function write(content: string | Buffer): string {
  const path = join(dir, `data${++counter}.csv`)
  writeFileSync(path, content)
  return path
}

/** Rows with several sources and labels, numerals to normalise, and text that needs JSON escaping. */
function rows(from: number, count: number): string {
  const lines: string[] = []
  for (let row = from; row < from + count; row++) {
    const label = row % 7 === 0 ? '' : `c${row % 3}`
    const text = row % 11 === 0 ? '"a ""quoted"", comma"' : `wört ${row % 5}`
    lines.push(`r${row},${label},v${row % 4},${(row * 0.25).toFixed(3)},${text}\n`)
  }
  return lines.join('')
}
const HEADER = 'id,label,source,x,text\n'

/**
 * A file whose middle record carries a quoted field of many lines, placed so that the point where the worker's
 * part would start lies inside it: the cut must come after the field, not at one of its line feeds.
 */
function fileWithLongQuotedField(firstRecord = ''): {
  content: string
  from: number
  fieldStart: number
  fieldEnd: number
} {
  const before = HEADER + firstRecord + rows(0, 4000)
  const field = `"${'a line, with a comma\n'.repeat(1200)}and an end"`
  const record = `q1,c1,v1,1,${field}\n`
  const after = rows(4000, 4200)
  const content = before + record + after
  const fieldStart = Buffer.byteLength(before) + record.indexOf('"')
  const fieldEnd = fieldStart + Buffer.byteLength(field)
  return { content, from: Math.floor(Buffer.byteLength(content) * CALLER_SHARE), fieldStart, fieldEnd }
}

/** Where each record ends, from a reading of the whole string that tracks quotes as RFC 4180 does. */
function recordEnds(content: string): number[] {
  const bytes = Buffer.from(content)
  const ends: number[] = []
  let inQuotes = false
  for (let index = 0; index < bytes.length; index++) {
    if (bytes[index] === 0x22) inQuotes = !inQuotes
    else if (bytes[index] === 0x0a && !inQuotes) ends.push(index + 1)
  }
  return ends
}

describe('csvCutAfter', () => {
  it('cuts after the first record end at or after the point, whatever the chunk size', () => {
    const { content, from, fieldStart, fieldEnd } = fileWithLongQuotedField()
    expect(from).toBeGreaterThan(fieldStart)
    expect(from).toBeLessThan(fieldEnd)
    const path = write(content)
    const ends = recordEnds(content)
    for (const point of [0, 1, 23, fieldStart, fieldStart + 1, from, fieldEnd - 1, fieldEnd]) {
      const expected = ends.find((end) => end > point && end < Buffer.byteLength(content)) ?? -1
      for (const chunkBytes of [7, 64, 4096, 1 << 20])
        expect(csvCutAfter(path, point, chunkBytes)).toBe(expected)
    }
    expect(csvCutAfter(path, from)).toBe(fieldEnd + 1)
  })

  it('finds no cut after the last record, nor one where a byte-order mark would be skipped', () => {
    const path = write('id,x\nr1,1\nr2,2\n')
    expect(csvCutAfter(path, 11)).toBe(-1)
    const bom = write('id,x\nr1,1\n\u{feff}r2,2\nr3,3\n')
    // The third line starts with the mark's bytes; a reader starting there would skip them.
    expect(csvCutAfter(bom, 6, 3)).toBe(Buffer.byteLength('id,x\nr1,1\n\u{feff}r2,2\n'))
  })
})

describe('coreFreeForWorker', () => {
  it('takes a second thread when the load average or the threads runnable now leave a core for it', () => {
    // A quiet two-core machine whose average still carries the last minute's two-thread runs: only this thread runs.
    expect(coreFreeForWorker(2, 1.6, 1)).toBe(true)
    // Another process busy on the other core, or a loaded machine: no core is free.
    expect(coreFreeForWorker(2, 1.6, 2)).toBe(false)
    expect(coreFreeForWorker(2, 14, 9)).toBe(false)
    // Without a count of runnable threads (not Linux), the average decides alone.
    expect(coreFreeForWorker(2, 0.7, undefined)).toBe(true)
    expect(coreFreeForWorker(2, 1.6, undefined)).toBe(false)
    expect(coreFreeForWorker(8, 5, 7)).toBe(true)
    expect(coreFreeForWorker(1, 0, 1)).toBe(false)
  })
})

/** Manifest and sidecar bytes of a dataset, created with the given options. */
async function created(path: string, options: DigestOptions, name: string) {
  const folder = join(dir, `${name}${++counter}`)
  mkdirSync(folder)
  const out = join(folder, 'data.manifest.json')
  const result = await createManifest(path, { out, privateKey, createdAt: new Date(0), ...options })
  return {
    manifest: readFileSync(out),
    sidecar: readFileSync(join(folder, 'data.manifest.records.jsonl')),
    statement: result.statement,
    out,
  }
}
const { privateKey } = generateKeyPairSync('ed25519')

describe('ChunkRing', () => {
  it('hands a buffer out again only once the tokenizer holds no byte of it', () => {
    const ring = new ChunkRing()
    const mebibyte = 1 << 20
    const first = [0, 1, 2, 3].map((chunk) => ring.take(chunk * mebibyte, chunk * mebibyte))
    expect(new Set(first).size).toBe(4)
    // A record begun in the first chunk is still open: its buffer must not be overwritten.
    const fifth = ring.take(4 * mebibyte, mebibyte - 10)
    expect(first).not.toContain(fifth)
    // Records are done up to the third chunk's end: the second buffer is free again, the third not.
    expect(ring.take(5 * mebibyte, 3 * mebibyte)).toBe(first[1])
    expect(ring.take(6 * mebibyte, 3 * mebibyte - 1)).not.toBe(first[2])
  })
})

describe('reading a CSV on two threads', () => {
  it('gives byte-identical manifests and sidecars, a quoted field of many lines at the cut', async () => {
    const path = write(fileWithLongQuotedField().content)
    const digest = await digestDataset(path, { ...twoThreads, uniqueIds: true })
    expect(digest.threads).toBe(2)
    expect(digest).toEqual({ ...(await digestDataset(path, { threads: 1, uniqueIds: true })), threads: 2 })
    const one = await created(path, { threads: 1 }, 'one')
    const two = await created(path, twoThreads, 'two')
    expect(two.manifest.equals(one.manifest)).toBe(true)
    expect(two.sidecar.equals(one.sidecar)).toBe(true)
    expect(one.statement.predicate.records.count).toBe(8201)
  })

  it('reuses its read buffers only once the records in them are done, records longer than several chunks included', async () => {
    // Megabyte chunks, several per part, and records that span a few of them, or more than all the reused ones.
    const long = (megabytes: number) => `"${'many words, a comma\n'.repeat(megabytes * 52_429)}"`
    const path = write(
      [
        HEADER,
        rows(0, 50_000),
        `q1,c1,v1,1,${long(2)}\n`,
        rows(50_000, 200_000),
        `q2,c2,v2,2,${long(5)}\n`,
        rows(250_000, 20_000),
        `q3,c0,v3,3,${long(2)}\n`,
        rows(270_000, 20_000),
      ].join(''),
    )
    const sidecars = [join(dir, `one${++counter}.jsonl`), join(dir, `two${counter}.jsonl`)]
    const digests = []
    for (const [index, options] of [{ threads: 1 }, twoThreads].entries()) {
      const sidecar = new SidecarWriter(sidecars[index])
      digests.push(await digestDataset(path, { ...options, uniqueIds: true, sidecar }))
      sidecar.finish()
    }
    expect(digests[1].threads).toBe(2)
    expect(digests[1]).toEqual({ ...digests[0], threads: 2 })
    expect(readFileSync(sidecars[1]).equals(readFileSync(sidecars[0]))).toBe(true)
  })

  it('gives the same digest with one source for every record, without labels, and in encoding v1', async () => {
    const path = write(HEADER + rows(0, 3000))
    for (const options of [
      { source: 'vendor-x' },
      { label: null, sourceColumn: null },
      { encoding: 'https://poisonguard.dev/canonical-record/v1' as const },
    ]) {
      const two = await digestDataset(path, { ...twoThreads, ...options })
      expect(two.threads).toBe(2)
      expect(two).toEqual({ ...(await digestDataset(path, { ...options, threads: 1 })), threads: 2 })
    }
  })

  it('looks up every id of the second part when the ids do not ascend, and takes the part in when none repeats', async () => {
    const descending = rows(0, 3000).split('\n').reverse().join('\n')
    const path = write(HEADER + descending.slice(1))
    const two = await digestDataset(path, { ...twoThreads, uniqueIds: true })
    expect(two.threads).toBe(2)
    expect(two).toEqual({ ...(await digestDataset(path, { threads: 1, uniqueIds: true })), threads: 2 })
  })

  it('takes in the sidecar rows of the other thread after its own', async () => {
    const path = write(HEADER + rows(0, 2000))
    const sidecars = [join(dir, `one${++counter}.jsonl`), join(dir, `two${counter}.jsonl`)]
    const written = []
    for (const [index, options] of [{ threads: 1 }, twoThreads].entries()) {
      const sidecar = new SidecarWriter(sidecars[index])
      await digestDataset(path, { ...options, sidecar })
      written.push(sidecar.finish())
    }
    expect(written[1]).toEqual(written[0])
    expect(readFileSync(sidecars[1]).equals(readFileSync(sidecars[0]))).toBe(true)
  })

  it("leaves no scratch file for the other thread's sidecar rows, whether its part is taken in or not", async () => {
    const clean = await created(write(HEADER + rows(0, 2000)), twoThreads, 'clean')
    expect(readdirSync(dirname(clean.out)).sort()).toEqual([
      'data.manifest.json',
      'data.manifest.records.jsonl',
    ])
    // A repeated id in the second part: the worker declines, this thread reads on and fails as one thread does.
    const body = rows(0, 2000).split('\n')
    const path = write(HEADER + [...body.slice(0, 1900), 'r1950,c1,v1,1,x', ...body.slice(1900)].join('\n'))
    const folder = join(dir, `declined${++counter}`)
    mkdirSync(folder)
    const failed = await createManifest(path, {
      out: join(folder, 'data.manifest.json'),
      privateKey,
      ...twoThreads,
    })
      .then(() => undefined)
      .catch((error) => error)
    expect(failed?.code).toBe('DUPLICATE_ID')
    expect(readdirSync(folder)).toEqual([])
  })

  it('reports a problem in the second part, or an id repeated across the parts, as one thread does', async () => {
    const body = rows(0, 2000).split('\n')
    const cases = {
      'repeated across the parts': [...body.slice(0, 1900), 'r5,c1,v1,1,x', ...body.slice(1900)],
      'repeated in the second part': [...body.slice(0, 1900), 'r1950,c1,v1,1,x', ...body.slice(1900)],
      'empty id': [...body.slice(0, 1900), ',c1,v1,1,x', ...body.slice(1900)],
      'short record': [...body.slice(0, 1900), 'r9999,c1', ...body.slice(1900)],
      'unclosed quote': [...body.slice(0, 1999), 'r9999,c1,v1,1,"never closed'],
    }
    for (const [name, lines] of Object.entries(cases)) {
      const path = write(HEADER + lines.join('\n'))
      const one = await digestDataset(path, { threads: 1, uniqueIds: true }).catch((error) => error)
      const progress: number[] = []
      const two = await digestDataset(path, {
        ...twoThreads,
        uniqueIds: true,
        onProgress: (fraction) => progress.push(fraction),
      }).catch((error) => error)
      // The first thread reads past the cut again, yet the progress never goes back.
      expect(
        progress.every((fraction, index) => index === 0 || fraction > progress[index - 1]),
        name,
      ).toBe(true)
      expect(one, name).toBeInstanceOf(Error)
      expect(two.message, name).toBe(one.message)
      expect(two.code, name).toBe(one.code)
    }
    const invalid = Buffer.concat([
      Buffer.from(HEADER + rows(0, 1900)),
      Buffer.of(0xff),
      Buffer.from(rows(1900, 100)),
    ])
    const path = write(invalid)
    const one = await digestDataset(path, { threads: 1 }).catch((error) => error)
    const two = await digestDataset(path, twoThreads).catch((error) => error)
    expect(one.code).toBe('ENCODING_ERROR')
    expect(two.message).toBe(one.message)
  })

  it('reads on past the cut itself when a stray quote made the guess wrong, with the same digest', async () => {
    // A quote inside an unquoted field is an ordinary byte, but it flips the count the cut is guessed from, so the
    // guess falls on a line feed inside the quoted field of many lines.
    const { content, from, fieldStart, fieldEnd } = fileWithLongQuotedField('r-1,c1,v1,5,12" pipe\n')
    const path = write(content)
    const cut = csvCutAfter(path, from)
    expect(cut).toBeGreaterThan(fieldStart)
    expect(cut).toBeLessThan(fieldEnd)
    const two = await digestDataset(path, { ...twoThreads, uniqueIds: true })
    expect(two).toEqual(await digestDataset(path, { threads: 1, uniqueIds: true }))
    expect(two.recordCount).toBe(8202)
  })

  it('names the file and row of a bad record in the second part and leaves no output', async () => {
    const body = rows(0, 3000).split('\n')
    const path = write(HEADER + [...body.slice(0, 2500), 'r9999,c1', ...body.slice(2500)].join('\n'))
    const folder = join(dir, `bad-row${++counter}`)
    mkdirSync(folder)
    const failed = await createManifest(path, {
      out: join(folder, 'data.manifest.json'),
      privateKey,
      ...twoThreads,
    }).catch((error) => error)
    expect(failed.message).toContain(path)
    // The header is line 1, so the 2,501st record is on line 2,502.
    expect(failed.message).toContain(`${path}, line 2502, row 2501:`)
    expect(readdirSync(folder)).toEqual([])
  })

  it('verifies on two threads: identical data verifies, one changed record in the second part is named', async () => {
    const content = HEADER + rows(0, 3000)
    const path = write(content)
    const { out } = await created(path, twoThreads, 'verify')
    expect((await verifyDatasetAgainstManifest(path, out, { ...twoThreads, collectSources: false })).ok).toBe(
      true,
    )
    writeFileSync(path, content.replace('\nr2500,', '\nr2500,c2'))
    const result = await verifyDatasetAgainstManifest(path, out, { ...twoThreads, collectSources: false })
    expect(result.failures.map((failure) => failure.check)).toEqual(['file-digest', 'changed'])
    // The sidecar is hashed while the dataset is read: altered, it is still reported first, as on one thread.
    appendFileSync(join(dirname(out), 'data.manifest.records.jsonl'), '\n')
    const altered = await verifyDatasetAgainstManifest(path, out, { ...twoThreads, collectSources: false })
    const oneThread = await verifyDatasetAgainstManifest(path, out, { threads: 1, collectSources: false })
    expect(altered.failures[0].check).toBe('record-digests')
    expect(altered.failures).toEqual(oneThread.failures)
  })
})
