import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { ScanReport } from '../src/domain/index.js'
import { createRng } from '../src/util/rng.js'
import { runCli, useTemporaryFolder } from './helpers.js'

const temporary = useTemporaryFolder()

/** Two separable blobs; every record of vendor-b has its label flipped, the other vendors are clean. */
function writeVendorData(path: string): void {
  const rng = createRng(11)
  const lines = ['id,label,x1,x2,x3']
  for (let row = 0; row < 300; row++) {
    const truth = row % 2
    const flipped = row % 3 === 1 && row % 4 === 0
    const label = flipped ? 1 - truth : truth
    lines.push(
      [`r${row}`, label, ...Array.from({ length: 3 }, () => (truth * 5 + rng.normal()).toFixed(3))].join(','),
    )
  }
  writeFileSync(path, `${lines.join('\n')}\n`)
}

describe('scan --manifest', () => {
  it('attaches attested sources, quarantines a bad source, and refuses tampered data with exit 4', async () => {
    const data = temporary('vendors.csv')
    writeVendorData(data)
    const sources = temporary('vendors-sourced.csv')
    const rows = readFileSync(data, 'utf8').trim().split('\n')
    writeFileSync(
      sources,
      `${[`${rows[0]},source`, ...rows.slice(1).map((line, row) => `${line},vendor-${'abc'[row % 3]}`)].join('\n')}\n`,
    )
    expect((await runCli('keygen', '--out', temporary('key'))).exitCode).toBe(0)
    const manifest = temporary('vendors.manifest.json')
    const created = await runCli(
      'manifest',
      'create',
      sources,
      '--key',
      temporary('key.pem'),
      '--out',
      manifest,
    )
    expect(created.exitCode).toBe(0)

    const out = temporary('vendors-report.json')
    const clean = temporary('vendors-clean.csv')
    const scanned = await runCli(
      ...['scan', sources, '--manifest', manifest, '--pub', temporary('key.pub.pem'), '--require-signed'],
      ...['--out', out, '--export-clean', clean, '--drop-sources-above', '0.1', '-q'],
      // 25 flips into one class among 300 records: a lenient false-discovery rate suits so small a table.
      ...['--fdr', '0.05'],
    )
    expect(scanned.stderr).toBe('')
    expect(scanned.exitCode).toBe(0)
    const report = JSON.parse(readFileSync(out, 'utf8')) as ScanReport
    expect(report.summary.bySource['vendor-b'].flagged).toBeGreaterThan(15)
    const kept = readFileSync(clean, 'utf8').trim().split('\n').slice(1)
    expect(kept.some((line) => line.endsWith('vendor-b'))).toBe(false)
    expect(kept.filter((line) => line.endsWith('vendor-a')).length).toBeGreaterThan(90)

    const tampered = temporary('vendors-tampered.csv')
    writeFileSync(tampered, readFileSync(sources, 'utf8').replace('r7,1,', 'r7,0,'))
    const tamperedOut = temporary('tampered-report.json')
    const refused = await runCli(
      ...[
        'scan',
        tampered,
        '--manifest',
        manifest,
        '--pub',
        temporary('key.pub.pem'),
        '--out',
        tamperedOut,
        '-q',
      ],
    )
    expect(refused.exitCode).toBe(4)
    expect(refused.stderr).toContain('r7')
    expect(existsSync(tamperedOut)).toBe(false)
  })
})
