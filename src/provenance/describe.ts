import type { DatasetProvenance } from '../domain/index.js'
import type { ProvenanceDiff } from './compare.js'
import { compareSources, type RecordDiff } from './diff.js'
import type { SignatureStatus } from './dsse.js'
import type { Lineage, LineageNode } from './lineage.js'
import type { DatasetVerification } from './verify.js'
import { describeChange, describeRef } from './verify-checks.js'

/** The JSON form of a verification (without the id→source map, which can be large). */
export function verificationJson(result: DatasetVerification): Record<string, unknown> {
  return {
    verdict: result.verdict,
    ok: result.ok,
    dataset: result.datasetPath,
    manifest: result.manifestPath,
    failures: result.failures,
    notes: result.notes,
    signature: result.signature,
    fileDigest: result.fileDigest,
    merkleRoot: result.merkleRoot,
    records: result.records,
  }
}

/** Human-readable verification report. */
export function describeVerification(result: DatasetVerification): string {
  const lines: string[] = []
  const { status } = result.signature
  const trust =
    status === 'unsigned'
      ? ' (digests only: the manifest is unsigned)'
      : status === 'unchecked'
        ? ' (digests only: the signature was not checked)'
        : ''
  if (result.ok) lines.push(`VERIFIED ${result.datasetPath} matches ${result.manifestPath}${trust}`)
  else lines.push(`FAILED ${result.datasetPath} does not match ${result.manifestPath}`)
  lines.push(`  signature: ${describeSignature(result.signature)}`)
  if (result.fileDigest) lines.push(`  file sha256: ${result.fileDigest.actual}`)
  if (result.records) {
    const { records } = result
    lines.push(
      `  records: ${records.newCount} in the dataset, ${records.oldCount} in the manifest, ${records.unchanged} unchanged`,
    )
  }
  for (const failure of result.failures) lines.push(`  FAIL ${failure.check}: ${failure.message}`)
  for (const note of result.notes) lines.push(`  note: ${note}`)
  return `${lines.join('\n')}\n`
}

function describeSignature(signature: SignatureStatus | { status: 'unchecked' }): string {
  switch (signature.status) {
    case 'valid':
      return `valid (key id ${signature.keyId})`
    case 'invalid':
      return `INVALID (key id ${signature.keyId})`
    case 'wrong-key':
      return `signed by another key (${signature.signedBy.join(', ')})`
    case 'unsigned':
      return 'none (unsigned manifest)'
    default:
      return 'not checked'
  }
}

/** A plain warning when the manifest's signature vouches for nothing; empty when it was verified. */
export function describeUnverifiedSignature(provenance: DatasetProvenance): string {
  if (provenance.signature === 'verified') return ''
  const why =
    provenance.signature === 'unsigned'
      ? `${provenance.manifest} is unsigned: the data matches its digests, but anyone could have written it`
      : `the signature of ${provenance.manifest} was not checked (no --pub given)`
  return `warning: ${why}; sign manifests with --key, and pass --pub and --require-signed to rely on them\n`
}

/** One-line totals of a record diff. */
export function summarizeDiff(diff: RecordDiff): string {
  const labelOnly = diff.labelOnly > 0 ? ` (${diff.labelOnly} label only)` : ''
  return `${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed${labelOnly}, ${diff.moved} moved, ${diff.unchanged} unchanged`
}

/** Human-readable diff grouped by source, listing at most `limit` records per source and kind. */
export function describeDiff(result: ProvenanceDiff, limit: number): string {
  const { records } = result
  const lines = [
    `old: ${result.old.path} (${result.old.kind}, ${result.old.recordCount} records)`,
    `new: ${result.new.path} (${result.new.kind}, ${result.new.recordCount} records)`,
    summarizeDiff(records),
  ]
  for (const warning of result.warnings) lines.push(`warning: ${warning}`)
  for (const group of records.bySource) {
    const name = group.source === null ? 'unattributed records' : `source ${JSON.stringify(group.source)}`
    const labelOnly = group.labelOnly > 0 ? ` (${group.labelOnly} label only)` : ''
    lines.push(
      '',
      `${name}: ${group.added} added, ${group.removed} removed, ${group.changed} changed${labelOnly}`,
    )
    const inGroup = <T extends { source: string | null }>(items: readonly T[]) =>
      items.filter((item) => compareSources(item.source, group.source) === 0)
    listLines(lines, '+', inGroup(records.added).map(describeRef), limit)
    listLines(lines, '-', inGroup(records.removed).map(describeRef), limit)
    listLines(lines, '~', inGroup(records.changed).map(describeChange), limit)
  }
  return `${lines.join('\n')}\n`
}

function listLines(lines: string[], marker: string, items: readonly string[], limit: number): void {
  for (const item of items.slice(0, limit)) lines.push(`  ${marker} ${item}`)
  if (items.length > limit) lines.push(`  ${marker} … and ${items.length - limit} more (--json lists all)`)
}

/** Human-readable lineage tree, children above their parents. */
export function describeLineage(lineage: Lineage): string {
  const lines: string[] = []
  describeNode(lineage.root, '', lines)
  const unchecked =
    lineage.root.signature.status === 'unchecked' ? ' (signatures not checked: pass --pub)' : ''
  lines.push(
    lineage.ok ? `lineage verified: every link matches its recorded digest${unchecked}` : 'lineage FAILED:',
  )
  for (const failure of lineage.failures) lines.push(`  FAIL ${failure}`)
  return `${lines.join('\n')}\n`
}

function describeNode(node: LineageNode, indent: string, lines: string[]): void {
  const subject = node.subject
    .map((item) => `${item.name} (sha256 ${item.digest.sha256.slice(0, 16)}…)`)
    .join(', ')
  const { transform } = node
  const parameters = Object.entries(transform.parameters)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ')
  lines.push(`${indent}${node.path}  [signature ${describeSignature(node.signature)}]`)
  lines.push(`${indent}  dataset ${subject}, ${node.recordCount} records, created ${node.createdAt}`)
  if (transform.command !== null || parameters !== '') {
    lines.push(
      `${indent}  transform ${JSON.stringify(transform.command ?? '')}${parameters ? ` ${parameters}` : ''}`,
    )
  }
  lines.push(`${indent}  recorded by ${transform.tool} ${transform.version}`)
  for (const link of node.parents) {
    if (link.status !== 'ok') {
      lines.push(`${indent}  parent ${link.name}: ${link.status.toUpperCase()}`)
      continue
    }
    const repeat = link.seenBefore ? ' (shown above)' : ''
    lines.push(`${indent}  parent ${link.name}: digest ok${repeat}`)
    if (link.node && !link.seenBefore) describeNode(link.node, `${indent}    `, lines)
  }
}
