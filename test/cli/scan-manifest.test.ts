import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { ScanReport } from '../../src/domain/index.js'
import { createEnvelope, IN_TOTO_PAYLOAD_TYPE } from '../../src/provenance/dsse.js'
import { readPrivateKey } from '../../src/provenance/keys.js'
import { createRng } from '../../src/util/rng.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { runCli } from './run-cli.js'

const temporary = useTemporaryFolder()

/** One fast detector: these tests are about the manifest, not the findings. */
const quick = ['--detectors', 'knn-label-consistency', '-q']

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

  it('says plainly that an unsigned or unchecked manifest vouches for nothing', async () => {
    const data = temporary('plain.csv')
    writeVendorData(data)
    const manifest = temporary('plain.manifest.json')
    expect((await runCli('manifest', 'create', data, '--out', manifest, '--quiet')).exitCode).toBe(0)
    const out = temporary('plain-report.json')
    const unsigned = await runCli('scan', data, '--manifest', manifest, '--out', out, ...quick)
    expect(unsigned.exitCode).toBe(0)
    expect(unsigned.stderr).toBe(
      `warning: ${manifest} is unsigned: the data matches its digests, but anyone could have written it; sign manifests with --key, and pass --pub and --require-signed to rely on them\n`,
    )
    const report = JSON.parse(readFileSync(out, 'utf8')) as ScanReport
    expect(report.dataset.provenance).toMatchObject({ manifest, signature: 'unsigned', keyIds: [] })

    expect((await runCli('keygen', '--out', temporary('plain-key'))).exitCode).toBe(0)
    const key = ['--key', temporary('plain-key.pem')]
    expect((await runCli('manifest', 'create', data, ...key, '--out', manifest, '--quiet')).exitCode).toBe(0)
    const unchecked = await runCli('scan', data, '--manifest', manifest, '--out', out, ...quick)
    expect(unchecked.stderr).toMatch(/^warning: the signature of .* was not checked \(no --pub given\)/)
    const checked = await runCli(
      'scan',
      data,
      '--manifest',
      manifest,
      '--pub',
      temporary('plain-key.pub.pem'),
      '--out',
      out,
      ...quick,
    )
    expect(checked.stderr).toBe('')
    expect((JSON.parse(readFileSync(out, 'utf8')) as ScanReport).dataset.provenance?.signature).toBe(
      'verified',
    )
  })

  it('fails verification, exit 4, when a signed manifest claims label counts the data does not have', async () => {
    const data = temporary('claims.csv')
    writeVendorData(data)
    expect((await runCli('keygen', '--out', temporary('claims-key'))).exitCode).toBe(0)
    const manifest = temporary('claims.manifest.json')
    const created = await runCli(
      'manifest',
      'create',
      data,
      '--key',
      temporary('claims-key.pem'),
      '--out',
      manifest,
    )
    expect(created.exitCode).toBe(0)
    // The signer states label counts its own records do not have, and signs them.
    const envelope = JSON.parse(readFileSync(manifest, 'utf8'))
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'))
    statement.predicate.labels.counts = { '0': 200, '1': 100 }
    const privateKey = await readPrivateKey(temporary('claims-key.pem'))
    const payload = Buffer.from(JSON.stringify(statement))
    writeFileSync(manifest, JSON.stringify(createEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, privateKey)))

    const pub = ['--pub', temporary('claims-key.pub.pem')]
    const verified = await runCli('manifest', 'verify', data, manifest, ...pub)
    expect(verified.exitCode).toBe(4)
    expect(verified.stderr).toBe('verification failed: label-counts\n')
    expect(verified.stdout).toMatch(
      /FAIL label-counts: the signed claim labels\.counts does not match the data: "0" claimed 200, found \d+; "1" claimed 100, found \d+/,
    )
    const out = temporary('claims-report.json')
    const scanned = await runCli('scan', data, '--manifest', manifest, ...pub, '--out', out, ...quick)
    expect(scanned.exitCode).toBe(4)
    expect(scanned.stderr).toContain(
      'FAIL label-counts: the signed claim labels.counts does not match the data',
    )
    expect(existsSync(out)).toBe(false)
  })
})
