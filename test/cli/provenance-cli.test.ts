import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { useTemporaryFolder } from '../fixtures/files.js'
import { runCli } from './run-cli.js'

const cli = runCli

const path = useTemporaryFolder()
const DATA = 'id,label,source,x\n1,cat,vendor-x,0.5\n2,dog,vendor-y,1.5\n3,cat,vendor-x,2.5\n'

describe('provenance CLI', () => {
  let keyId = ''
  beforeAll(async () => {
    writeFileSync(path('data.csv'), DATA)
    const keygen = await cli('keygen', '--out', path('key'))
    expect(keygen.exitCode).toBe(0)
    keyId = /key id: ([0-9a-f]{64})/.exec(keygen.stdout)![1]
    const create = await cli(
      'manifest',
      'create',
      path('data.csv'),
      '--key',
      path('key.pem'),
      '--out',
      path('data.manifest.json'),
    )
    expect(create.stderr).toBe('')
    expect(create.exitCode).toBe(0)
  })

  it('keygen writes a 0600 private key and never prints key material', async () => {
    const run = await cli('keygen', '--out', path('second'))
    expect(run.exitCode).toBe(0)
    expect(statSync(path('second.pem')).mode & 0o777).toBe(0o600)
    const privateBody = readFileSync(path('second.pem'), 'utf8').split('\n')[1]
    const publicBody = readFileSync(path('second.pub.pem'), 'utf8').split('\n')[1]
    expect(run.stdout).not.toContain(privateBody)
    expect(run.stdout).not.toContain(publicBody)
    expect(run.stdout).not.toMatch(/BEGIN/)
    const again = await cli('keygen', '--out', path('second'))
    expect(again.exitCode).toBe(1)
    expect(again.stderr).toMatch(/the file already exists/)
  })

  it('create reports what it wrote and refuses a loose private key with the chmod fix', async () => {
    const created = await cli(
      'manifest',
      'create',
      path('data.csv'),
      '--key',
      path('key.pem'),
      '--out',
      path('again.json'),
    )
    expect(created.stdout).toMatch(/3 records, Merkle root [0-9a-f]{64}\n {2}signed with key id [0-9a-f]{64}/)
    writeFileSync(path('loose.pem'), readFileSync(path('key.pem')))
    chmodSync(path('loose.pem'), 0o644)
    const loose = await cli(
      'manifest',
      'create',
      path('data.csv'),
      '--key',
      path('loose.pem'),
      '--out',
      path('x.json'),
    )
    expect(loose.exitCode).toBe(1)
    expect(loose.stderr).toContain(`chmod 600 ${path('loose.pem')}`)
    expect(loose.stderr).not.toContain('PRIVATE KEY')
  })

  it('verify exits 0 on a match and 4 naming what failed', async () => {
    const good = await cli(
      'manifest',
      'verify',
      path('data.csv'),
      path('data.manifest.json'),
      '--pub',
      path('key.pub.pem'),
    )
    expect(good.exitCode).toBe(0)
    expect(good.stdout).toMatch(/^VERIFIED /)
    writeFileSync(path('tampered.csv'), DATA.replace('2,dog', '2,cat'))
    const bad = await cli(
      'manifest',
      'verify',
      path('tampered.csv'),
      path('data.manifest.json'),
      '--pub',
      path('key.pub.pem'),
    )
    expect(bad.exitCode).toBe(4)
    expect(bad.stderr).toBe('verification failed: file-digest, changed\n')
    const normalised = bad.stdout.replaceAll(path(''), '<tmp>').replace(/[0-9a-f]{64}/g, '<sha256>')
    expect(normalised).toMatchInlineSnapshot(`
      "FAILED <tmp>/tampered.csv does not match <tmp>/data.manifest.json
        signature: valid (key id <sha256>)
        file sha256: <sha256>
        records: 3 in the dataset, 3 in the manifest, 2 unchanged
        FAIL file-digest: file digest mismatch: the dataset has sha256 <sha256>, the manifest was made for data.csv with sha256 <sha256>
        FAIL changed: 1 record changed (1 only in their label): id "2" (source "vendor-y"): label "dog" → "cat", label only
      "
    `)
    const json = await cli(
      'manifest',
      'verify',
      path('tampered.csv'),
      path('data.manifest.json'),
      '--pub',
      path('key.pub.pem'),
      '--json',
    )
    expect(json.exitCode).toBe(4)
    const parsed = JSON.parse(json.stdout)
    expect(parsed.verdict).toBe('failed')
    expect(parsed.signature).toEqual({ status: 'valid', keyId })
    expect(parsed.records.changed[0]).toMatchObject({
      id: '2',
      labelOnly: true,
      previousLabel: 'dog',
      label: 'cat',
    })
  })

  it('verify exits 4 for another key and for a missing signature when one is required, 1 for a missing file', async () => {
    await cli('keygen', '--out', path('other'))
    const wrong = await cli(
      'manifest',
      'verify',
      path('data.csv'),
      path('data.manifest.json'),
      '--pub',
      path('other.pub.pem'),
    )
    expect(wrong.exitCode).toBe(4)
    expect(wrong.stdout).toMatch(
      /FAIL signature: wrong key: the manifest is signed by key id [0-9a-f]{64}, not by the given public key/,
    )
    const unchecked = await cli(
      'manifest',
      'verify',
      path('data.csv'),
      path('data.manifest.json'),
      '--require-signed',
    )
    expect(unchecked.exitCode).toBe(4)
    const missing = await cli('manifest', 'verify', path('nope.csv'), path('data.manifest.json'))
    expect(missing.exitCode).toBe(1)
    expect(missing.stderr).toMatch(/nope\.csv: no such file or folder/)
  })

  it('diff groups changes by source in human and JSON output', async () => {
    writeFileSync(
      path('v2.csv'),
      `${DATA.replace('2,dog', '2,cat').replace('3,cat,vendor-x,2.5\n', '')}4,dog,vendor-z,7\n`,
    )
    const human = await cli('manifest', 'diff', path('data.manifest.json'), path('v2.csv'))
    expect(human.exitCode).toBe(0)
    expect(human.stdout.replaceAll(path(''), '<tmp>')).toMatchInlineSnapshot(`
      "old: <tmp>/data.manifest.json (manifest, 3 records)
      new: <tmp>/v2.csv (dataset, 3 records)
      1 added, 1 removed, 1 changed (1 label only), 0 moved, 1 unchanged

      source "vendor-x": 0 added, 1 removed, 0 changed
        - id "3" (source "vendor-x")

      source "vendor-y": 0 added, 0 removed, 1 changed (1 label only)
        ~ id "2" (source "vendor-y"): label "dog" → "cat", label only

      source "vendor-z": 1 added, 0 removed, 0 changed
        + id "4" (source "vendor-z")
      "
    `)
    const json = JSON.parse(
      (await cli('manifest', 'diff', path('data.manifest.json'), path('v2.csv'), '--json')).stdout,
    )
    expect(json.records.labelOnly).toBe(1)
    expect(json.records.bySource.map((group: { source: string }) => group.source)).toEqual([
      'vendor-x',
      'vendor-y',
      'vendor-z',
    ])
  })

  it('lineage shows the chain and exits 4 when a parent no longer matches', async () => {
    writeFileSync(path('v3.csv'), DATA.replace('0.5', '0.25'))
    const child = await cli(
      'manifest',
      'create',
      path('v3.csv'),
      '--key',
      path('key.pem'),
      '--out',
      path('v3.manifest.json'),
      '--parent',
      path('data.manifest.json'),
      '--transform',
      'rescale',
      '--param',
      'factor=0.5',
    )
    expect(child.exitCode).toBe(0)
    const ok = await cli('lineage', path('v3.manifest.json'), '--pub', path('key.pub.pem'))
    expect(ok.exitCode).toBe(0)
    expect(ok.stdout).toMatch(/transform "rescale" factor=0\.5/)
    expect(ok.stdout).toMatch(/parent data\.manifest\.json: digest ok/)
    writeFileSync(path('data.manifest.json'), `${readFileSync(path('data.manifest.json'), 'utf8')}\n`)
    const broken = await cli('lineage', path('v3.manifest.json'))
    expect(broken.exitCode).toBe(4)
    expect(broken.stdout).toMatch(/parent data\.manifest\.json: DIGEST-MISMATCH/)
    expect(broken.stderr).toMatch(/^lineage verification failed: .*the parent was altered or replaced/)
  })

  it('rejects a source name together with a source column', async () => {
    const run = await cli(
      'manifest',
      'create',
      path('data.csv'),
      '--source',
      'x',
      '--source-column',
      'source',
    )
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toMatch(/cannot be used with option/)
  })

  it('documents exit codes in the verify help', async () => {
    const help = await cli('manifest', 'verify', '--help')
    expect(help.exitCode).toBe(0)
    expect(help.stdout).toMatchInlineSnapshot(`
      "Usage: poisonguard manifest verify [options] <dataset> <manifest>

      check a dataset against its manifest: signature, file digest and every record

      Arguments:
        dataset           the dataset file
        manifest          its manifest

      Options:
        --pub <file>      public key PEM to check the signature with
        --require-signed  fail when the manifest is unsigned or no --pub is given
        --json            print the result as JSON
        --quiet           no progress bar
        -h, --help        display help for command

      Examples:
        $ poisonguard manifest verify train.csv train.manifest.json --pub mykey.pub.pem
        $ poisonguard manifest verify train.csv train.manifest.json --pub mykey.pub.pem --json

      Exit codes: 0 verified, 1 bad input or usage, 2 internal error (please report it),
        4 verification failed.
      "
    `)
  })
})
