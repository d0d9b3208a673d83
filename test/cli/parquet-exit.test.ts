import { readFileSync } from 'node:fs'
import { parquetWriteFile } from 'hyparquet-writer'
import { describe, expect, it } from 'vitest'
import { useTemporaryFolder } from '../fixtures/files.js'
import { spawnCli } from './spawn-cli.js'

const temporary = useTemporaryFolder()

describe('a Parquet scan as a process', () => {
  // The row groups are decoded in a worker thread; once it is idle it must not keep the process alive. Before,
  // the report was written and the process never ended.
  it('ends with exit 0 once its report is written', { timeout: 180_000 }, async () => {
    const path = temporary('accounts.parquet')
    const rows = 120
    parquetWriteFile({
      filename: path,
      columnData: [
        {
          name: 'user_id',
          data: Array.from({ length: rows }, (_, row) => BigInt(100_000 + row)),
          type: 'INT64',
        },
        {
          name: 'amount',
          data: Array.from({ length: rows }, (_, row) => Math.exp((row % 17) / 4)),
          type: 'DOUBLE',
        },
        { name: 'visits', data: Array.from({ length: rows }, (_, row) => (row * 7) % 11), type: 'INT32' },
        { name: 'label', data: Array.from({ length: rows }, (_, row) => (row % 17 < 8 ? 'small' : 'large')) },
      ],
    })
    const report = temporary('report.json')
    const { exited } = spawnCli(['scan', path, '--detectors', 'outliers', '-q', '--out', report])
    expect(await exited).toEqual({ code: 0, signal: null })
    expect(JSON.parse(readFileSync(report, 'utf8')).records).toHaveLength(rows)
  })
})
