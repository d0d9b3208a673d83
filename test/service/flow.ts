import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import { createManifest } from '../../src/provenance/manifest.js'
import { referenceCsv } from './data.js'
import type { ApiClient, Json } from './harness.js'

/** A batch signed the way a source signs it: `createManifest` with its Ed25519 key, as `manifest create` does. */
export async function signBatch(
  csv: string,
  privateKey: KeyObject,
): Promise<{ manifest: string; sidecar: string }> {
  const folder = mkdtempSync(join(tmpdir(), 'poisonguard-sign-'))
  try {
    const dataPath = join(folder, 'batch.csv')
    writeFileSync(dataPath, csv)
    const created = await createManifest(dataPath, { out: join(folder, 'batch.manifest.json'), privateKey })
    return {
      manifest: readFileSync(created.manifestPath, 'utf8'),
      sidecar: readFileSync(created.sidecarPath, 'utf8'),
    }
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}

export function ed25519Keys(): { privateKey: KeyObject; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string }
}

/** A project with a contributor who owns one keyed source, and a dataset whose version 1 is the reference. */
export interface ProjectSetup {
  projectId: string
  datasetId: string
  sourceId: string
  contributorId: string
  contributorToken: string
  privateKey: KeyObject
}

/** Creates a user through the API and returns its id and token. */
export async function createUserVia(t: ApiClient, name: string): Promise<{ id: string; token: string }> {
  const created = await t.call('POST', '/v1/users', { token: t.adminToken, body: { name } })
  expect(created.status).toBe(201)
  return { id: created.body.id, token: created.body.token }
}

export async function setUpProject(
  t: ApiClient,
  policy: Record<string, unknown>,
  name = 'feedback',
): Promise<ProjectSetup> {
  const project = await t.call('POST', '/v1/projects', { token: t.adminToken, body: { name, policy } })
  expect(project.status).toBe(201)
  const projectId = project.body.id
  const contributor = await createUserVia(t, `${name}-contributor`)
  const role = await t.call('PUT', `/v1/projects/${projectId}/members/${contributor.id}`, {
    token: t.adminToken,
    body: { role: 'contributor' },
  })
  expect(role.status).toBe(200)
  const keys = ed25519Keys()
  const source = await t.call('POST', `/v1/projects/${projectId}/sources`, {
    token: t.adminToken,
    body: { name: `${name}-feed`, ownerUserId: contributor.id, publicKeyPem: keys.publicKeyPem },
  })
  expect(source.status).toBe(201)
  const dataset = await t.call('POST', `/v1/projects/${projectId}/datasets`, {
    token: t.adminToken,
    body: { name: 'digits', format: 'csv', data: referenceCsv() },
  })
  expect(dataset.status).toBe(201)
  return {
    projectId,
    datasetId: dataset.body.datasetId,
    sourceId: source.body.id,
    contributorId: contributor.id,
    contributorToken: contributor.token,
    privateKey: keys.privateKey,
  }
}

/** Submits a batch as the contributor and waits for the gate. */
export async function submitAndWait(
  t: ApiClient,
  setup: ProjectSetup,
  csv: string,
  signing: { manifest?: string; sidecar?: string } = {},
): Promise<Json> {
  const submitted = await t.call('POST', `/v1/datasets/${setup.datasetId}/batches`, {
    token: setup.contributorToken,
    body: { sourceId: setup.sourceId, format: 'csv', data: csv, ...signing },
  })
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(202)
  return t.waitForBatch(submitted.body.id, setup.contributorToken)
}

/** A lenient policy: severe findings send a batch to a person instead of quarantining it. */
export const REVIEW_POLICY = {
  requireSigned: false,
  maxSevereShare: 1,
  maxFlaggedShare: 1,
  onDrift: 'review',
}

/** A project under the review policy, and a user with the reviewer role in it. */
export async function setUpReviewProject(
  t: ApiClient,
): Promise<{ setup: ProjectSetup; reviewer: { id: string; token: string } }> {
  const setup = await setUpProject(t, REVIEW_POLICY)
  const reviewer = await createUserVia(t, 'reviewer')
  const granted = await t.call('PUT', `/v1/projects/${setup.projectId}/members/${reviewer.id}`, {
    token: t.adminToken,
    body: { role: 'reviewer' },
  })
  expect(granted.status).toBe(200)
  return { setup, reviewer }
}
