import { createHash, createPublicKey, type KeyObject } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AnnotationTable } from '../crowd/index.js'
import type { Dataset } from '../data/dataset.js'
import type { DetectorReport, RecordReport, VerdictSummary } from '../domain/index.js'
import { checkBatch } from '../drift/check.js'
import type { CheckReport } from '../drift/types.js'
import { isPoisonguardError, PoisonguardError } from '../errors.js'
import { loadDataset } from '../io/load.js'
import { createWorkerFoldExecutor } from '../parallel/worker-pool.js'
import { createManifest } from '../provenance/manifest.js'
import { readManifestFile, sidecarPathOf } from '../provenance/manifest-file.js'
import { verifyDatasetAgainstManifest } from '../provenance/verify.js'
import type { ColumnDriftTest } from '../report/views/drift.js'
import { scan } from '../scan/index.js'
import { aggregateForScan, type CrowdSummary, describeCollusion, summarizeCrowd } from './crowd-scan.js'
import {
  type GateDecision,
  type GateReason,
  gateBatch,
  type IntakeEvidence,
  type IntakePolicy,
} from './intake-policy.js'

/*
 * The intake pipeline as a library function over bytes: signature and manifest check against the source's key,
 * schema check and drift against the current version, a poison scan of the batch with the current version as
 * context, then the gate. It calls the same functions as `manifest verify`, `check` and `scan`; files exist only in
 * a private temporary folder for the length of one call.
 */

/** The formats a batch may come in: those the manifest tooling can hash record by record. */
export const intakeFormats = ['csv', 'jsonl'] as const
export type IntakeFormat = (typeof intakeFormats)[number]

export interface IntakeInput {
  format: IntakeFormat
  batch: Buffer
  /** The DSSE manifest of the batch and its record digest file, as written by `poisonguard manifest create`. */
  manifest?: Buffer
  sidecar?: Buffer
  /** The source's registered Ed25519 public key (PEM), if any. */
  sourcePublicKeyPem: string | null
  /** The data of the dataset's current version: the trusted reference. */
  reference: Buffer
  policy: IntakePolicy
  /**
   * Crowd answers contributors sent about the dataset's records (matched by id): the scan weighs them through the
   * `crowd-consensus` detector, after the crowd library set spammers and colluding groups aside.
   */
  answers?: AnnotationTable
  /** Seed of the drift tests and the scan, so a batch's outcome is reproducible. */
  seed?: number
}

/** A record of the batch the scan found suspicious. */
export type SuspiciousRecord = Pick<RecordReport, 'id' | 'suspicion' | 'flagged' | 'severity' | 'findings'>

export interface IntakeResult {
  decision: GateDecision
  reasons: GateReason[]
  rowCount: number
  signature: { status: 'verified' | 'failed' | 'not-required'; message?: string; keyIds: string[] }
  check?: Pick<CheckReport, 'summary' | 'findings'> & { columns: ColumnDriftTest[] }
  scan?: {
    flagged: number
    records: SuspiciousRecord[]
    /** What the scan concluded and what its detectors measured: the review app draws each attack from these. */
    verdict?: VerdictSummary
    detectors: DetectorReport[]
  }
  /** Present when contributors' answers covered records of the batch. */
  crowd?: CrowdSummary
  /** Wall-clock seconds of each stage that ran, for operators and `npm run bench`. */
  seconds: { signature: number; check?: number; scan?: number }
  /** The current version's data followed by the batch's records: the next version if the batch is accepted. */
  combined?: Buffer
}

const secondsSince = (started: number) => (performance.now() - started) / 1000

/** Runs the whole pipeline on one batch; a batch that cannot be read is a gate decision, never an exception. */
export async function runIntakePipeline(input: IntakeInput): Promise<IntakeResult> {
  const folder = await mkdtemp(join(tmpdir(), 'poisonguard-intake-'))
  try {
    return await runIn(folder, input)
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
}

async function runIn(folder: string, input: IntakeInput): Promise<IntakeResult> {
  const batchPath = join(folder, `batch.${input.format}`)
  const referencePath = join(folder, `reference.${input.format}`)
  await writeFile(batchPath, input.batch, { mode: 0o600 })
  await writeFile(referencePath, input.reference, { mode: 0o600 })
  let started = performance.now()
  const signature = await checkSignature(folder, batchPath, input)
  const seconds: IntakeResult['seconds'] = { signature: secondsSince(started) }
  const evidence: IntakeEvidence = {
    signatureFailure: signature.status === 'failed' ? (signature.message ?? 'signature check failed') : null,
    schemaProblems: [],
    drift: [],
    severities: [],
    flagged: 0,
  }
  const result: IntakeResult = { decision: 'quarantine', reasons: [], rowCount: 0, signature, seconds }
  started = performance.now()
  const loaded = await loadBoth(referencePath, batchPath, input.format)
  if ('problem' in loaded) {
    evidence.schemaProblems = [loaded.problem]
    return finish(result, evidence, input.policy)
  }
  result.rowCount = loaded.batch.rowCount
  const check = checkBatch(loaded.reference, loaded.batch, { seed: input.seed ?? 0 })
  result.check = { summary: check.summary, findings: check.findings, columns: columnDriftTests(check) }
  evidence.schemaProblems = check.findings
    .filter((finding) => finding.kind === 'schema')
    .map((finding) => finding.explanation)
  evidence.drift = check.findings
    .filter((finding) => finding.kind === 'drift')
    .map((finding) => finding.explanation)
  seconds.check = secondsSince(started)
  const combined =
    evidence.schemaProblems.length === 0
      ? combineData(input.format, input.reference, input.batch)
      : { problem: 'no scan: the schema check failed' }
  if ('problem' in combined) {
    if (evidence.schemaProblems.length === 0) evidence.schemaProblems = [combined.problem]
    return finish(result, evidence, input.policy)
  }
  started = performance.now()
  const combinedPath = join(folder, `combined.${input.format}`)
  await writeFile(combinedPath, combined.data, { mode: 0o600 })
  const { report, crowd } = await scanCombined(combinedPath, input, loaded.reference.rowCount)
  seconds.scan = secondsSince(started)
  if (crowd) {
    result.crowd = crowd
    evidence.collusion = describeCollusion(crowd)
  }
  // The reference is context; only the batch's own records are judged.
  const batchRecords = report.records.slice(loaded.reference.rowCount)
  evidence.severities = batchRecords.map((record) => record.severity)
  evidence.flagged = batchRecords.filter((record) => record.flagged).length
  result.scan = {
    flagged: evidence.flagged,
    records: batchRecords
      .filter((record) => record.flagged || record.severity !== null)
      .map(({ id, suspicion, flagged, severity, findings }) => ({
        id,
        suspicion,
        flagged,
        severity,
        findings,
      })),
    verdict: report.summary.verdict,
    detectors: report.detectors,
  }
  result.combined = combined.data
  return finish(result, evidence, input.policy)
}

/** The per-column drift tests the drift views draw, without the rest of each test's details. */
function columnDriftTests(check: CheckReport): ColumnDriftTest[] {
  return check.tests
    .filter((test) => test.target === 'feature' && test.source === undefined)
    .map(({ id, column, statistic, qValue, significant, severity, details }) => ({
      id,
      column,
      statistic,
      qValue,
      significant,
      severity,
      ...(details?.cdf ? { details: { cdf: details.cdf } } : {}),
    }))
}

/** Scans the reference followed by the batch, weighing the crowd's answers when any concerns the batch. */
async function scanCombined(path: string, input: IntakeInput, referenceRows: number) {
  const dataset = await loadDataset(path, { format: input.format })
  const crowd = crowdOf(dataset, input.answers, referenceRows)
  // The same worker threads as `scanFile`: the built-in model's folds train in parallel.
  const executor = createWorkerFoldExecutor()
  try {
    const report = await scan(crowd ? { ...dataset, crowd: crowd.evidence } : dataset, {
      seed: input.seed ?? 0,
      executor,
    })
    return { report, crowd: crowd?.summary }
  } finally {
    await executor.close()
  }
}

/** The crowd's evidence about the combined data, when any answer concerns one of the batch's records. */
function crowdOf(dataset: Dataset, answers: AnnotationTable | undefined, referenceRows: number) {
  if (!answers || !dataset.labels) return undefined
  const labels = dataset.labels
  const { crowd, result } = aggregateForScan({ ids: dataset.ids, labels }, answers, 'contributed annotations')
  const summary = summarizeCrowd(answers, result, crowd, referenceRows)
  return summary.answers > 0 ? { evidence: crowd, summary } : undefined
}

function finish(result: IntakeResult, evidence: IntakeEvidence, policy: IntakePolicy): IntakeResult {
  const gate = gateBatch(evidence, policy)
  return {
    ...result,
    decision: gate.decision,
    reasons: gate.reasons,
    ...(gate.decision === 'accept' ? {} : { combined: undefined }),
  }
}

async function loadBoth(
  referencePath: string,
  batchPath: string,
  format: IntakeFormat,
): Promise<{ reference: Dataset; batch: Dataset } | { problem: string }> {
  const reference = await loadDataset(referencePath, { format })
  try {
    return { reference, batch: await loadDataset(batchPath, { format }) }
  } catch (error) {
    if (!isPoisonguardError(error)) throw error
    return { problem: `the batch cannot be read as ${format}: ${error.message.replace(batchPath, 'batch')}` }
  }
}

/** The signature stage: the manifest must verify against the batch with the source's registered key. */
async function checkSignature(
  folder: string,
  batchPath: string,
  input: IntakeInput,
): Promise<IntakeResult['signature']> {
  const required = input.policy.requireSigned
  if (!input.manifest) {
    return required
      ? {
          status: 'failed',
          message: 'the batch has no signed manifest and the policy requires one',
          keyIds: [],
        }
      : { status: 'not-required', keyIds: [] }
  }
  if (!input.sourcePublicKeyPem) {
    return required
      ? {
          status: 'failed',
          message: 'the source has no registered key, so no signature can be trusted',
          keyIds: [],
        }
      : { status: 'not-required', keyIds: [] }
  }
  const manifestPath = join(folder, 'batch.manifest.json')
  await writeFile(manifestPath, input.manifest, { mode: 0o600 })
  try {
    const manifest = await readManifestFile(manifestPath)
    if (input.sidecar) await writeFile(sidecarPathOf(manifest), input.sidecar, { mode: 0o600 })
  } catch (error) {
    if (!isPoisonguardError(error)) throw error
    return {
      status: 'failed',
      message: `the manifest cannot be read: ${error.message.replace(manifestPath, 'manifest')}`,
      keyIds: [],
    }
  }
  const verification = await verifyDatasetAgainstManifest(batchPath, manifestPath, {
    publicKey: publicKeyOf(input.sourcePublicKeyPem),
    requireSigned: true,
    collectSources: false,
  })
  if (verification.ok) return { status: 'verified', keyIds: verification.signedBy }
  const message = verification.failures.map((failure) => `${failure.check}: ${failure.message}`).join('; ')
  return { status: 'failed', message, keyIds: verification.signedBy }
}

function publicKeyOf(pem: string): KeyObject {
  return createPublicKey(pem)
}

/** The reference followed by the batch's records, in one file of the same format; CSV headers must agree. */
export function combineData(
  format: IntakeFormat,
  referenceData: Buffer,
  batch: Buffer,
): { data: Buffer } | { problem: string } {
  const reference = withFinalNewline(referenceData)
  if (format === 'jsonl') return { data: Buffer.concat([reference, batch]) }
  const referenceHeader = firstLine(reference)
  const batchHeader = firstLine(batch)
  if (!referenceHeader.equals(batchHeader))
    return {
      problem: 'the batch header differs from the current version (same columns, same order expected)',
    }
  return { data: Buffer.concat([reference, batch.subarray(batchHeader.length)]) }
}

function withFinalNewline(bytes: Buffer): Buffer {
  return bytes.length === 0 || bytes[bytes.length - 1] === 0x0a
    ? bytes
    : Buffer.concat([bytes, Buffer.from('\n')])
}

/** The first line with its line break. */
function firstLine(bytes: Buffer): Buffer {
  const end = bytes.indexOf(0x0a)
  return end === -1 ? bytes : bytes.subarray(0, end + 1)
}

/** A version's data with its signed manifest and record digests, ready to store. */
export interface VersionArtifacts {
  sha256: string
  rowCount: number
  manifest: Buffer
  sidecar: Buffer
}

/**
 * Signs a version: the same `createManifest` as `poisonguard manifest create`, with the previous version's manifest
 * as its parent so `poisonguard lineage` walks the history.
 */
export async function signVersion(
  data: Buffer,
  format: IntakeFormat,
  privateKey: KeyObject,
  options: { number: number; parentManifest?: Buffer; batchId?: string },
): Promise<VersionArtifacts> {
  const folder = await mkdtemp(join(tmpdir(), 'poisonguard-version-'))
  try {
    const dataPath = join(folder, `v${options.number}.${format}`)
    await writeFile(dataPath, data, { mode: 0o600 })
    const parents: string[] = []
    if (options.parentManifest) {
      const parentPath = join(folder, `v${options.number - 1}.manifest.json`)
      await writeFile(parentPath, options.parentManifest)
      parents.push(parentPath)
    }
    const created = await createManifest(dataPath, {
      out: join(folder, `v${options.number}.manifest.json`),
      privateKey,
      format,
      parents,
      transform: {
        command: options.batchId ? 'intake accept' : 'intake create',
        parameters: options.batchId ? { batch: options.batchId } : {},
      },
    })
    return {
      sha256: createHash('sha256').update(data).digest('hex'),
      rowCount: created.statement.predicate.records.count,
      manifest: await readFile(created.manifestPath),
      sidecar: await readFile(created.sidecarPath),
    }
  } catch (error) {
    if (isPoisonguardError(error))
      throw new PoisonguardError(error.code, `the data cannot become a version: ${error.message}`, {
        cause: error,
      })
    throw error
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
}
