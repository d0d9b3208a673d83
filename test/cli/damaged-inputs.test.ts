import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { useTemporaryFolder } from '../fixtures/files.js'
import { mutations } from '../fuzz/mutate.js'
import { SAMPLE_CSV, SAMPLE_JSONL, sampleParquet } from '../fuzz/sample-files.js'
import { runCli } from './run-cli.js'

const temporary = useTemporaryFolder()
const SCANS_PER_FORMAT = 20

/** Scans each mutant with outputs into an empty folder: exit 0, 1 or 3, and nothing left behind on exit 1. */
async function scanMutants(valid: Buffer, extension: string, seed: number): Promise<number[]> {
  const exitCodes: number[] = []
  let index = 0
  for (const mutant of mutations(valid, SCANS_PER_FORMAT, seed)) {
    const input = temporary(`scan-mutant-${index}.${extension}`)
    const outputs = temporary(`outputs-${extension}-${index++}`)
    await writeFile(input, mutant)
    await mkdir(outputs)
    const run = await runCli(
      'scan',
      input,
      '--out',
      join(outputs, 'report.json'),
      '--export-clean',
      join(outputs, `clean.${extension}`),
      '--fail-on',
      'high',
      '--quiet',
    )
    expect([0, 1, 3], run.stderr).toContain(run.exitCode)
    expect(run.stderr).not.toMatch(/\n\s+at /)
    if (run.exitCode === 1) expect(await readdir(outputs)).toEqual([])
    exitCodes.push(run.exitCode)
  }
  return exitCodes
}

describe('the CLI on damaged files', () => {
  let parquet: Buffer

  beforeAll(async () => {
    parquet = await sampleParquet(temporary)
  })

  it('exits 0, 1 or 3 and leaves no output behind when it refuses', async () => {
    const codes = [
      ...(await scanMutants(Buffer.from(SAMPLE_CSV), 'csv', 11)),
      ...(await scanMutants(Buffer.from(SAMPLE_JSONL), 'jsonl', 12)),
      ...(await scanMutants(parquet, 'parquet', 13)),
    ]
    expect(codes).toContain(1)
    expect(codes.some((code) => code !== 1)).toBe(true)
  })
})
