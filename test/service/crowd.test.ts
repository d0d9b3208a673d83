import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { AnnotationTable } from '../../src/crowd/types.js'
import { datasetAnswers } from '../../src/workflows/intake-crowd.js'
import { crowdLabelledDataset } from '../fixtures/crowd.js'
import { digits, toCsv } from './data.js'
import { createUserVia, type ProjectSetup, setUpProject, submitAndWait } from './flow.js'
import { type Json, skipReason, startTestService, type TestService } from './harness.js'

/*
 * Contributors' crowd answers over HTTP: a simulated crowd of 16 honest annotators and 4 who collude to label
 * sevens as ones labels the reference's 400 digits and a batch of 300 more; the batch carries the colluders' labels.
 * The intake scan must weigh the crowd: dispute the pushed labels and name the colluders and their group.
 */

const REFERENCE_ROWS = 400

/** The answers about rows `from` to `to` of the crowd's dataset, as the API takes them. */
function answersAbout(table: AnnotationTable, from: number, to: number) {
  const answers = []
  for (let answer = 0; answer < table.item.length; answer++) {
    const row = table.item[answer]
    if (row < from || row >= to) continue
    const time = table.time?.[answer]
    answers.push({
      item: table.itemIds[row],
      annotator: table.annotatorIds[table.annotator[answer]],
      label: table.classes[table.label[answer]],
      ...(time !== undefined && Number.isFinite(time) ? { time } : {}),
    })
  }
  return answers
}

for (const backend of ['sqlite', 'postgres'] as const) {
  const suite = `crowd answers in the intake service (${backend})`
  describe.skipIf(skipReason(backend, suite))(suite, () => {
    let t: TestService
    let setup: ProjectSetup
    let crowd: ReturnType<typeof crowdLabelledDataset>
    let batch: Json
    beforeAll(async () => {
      t = await startTestService({ backend })
      setup = await setUpProject(t, { requireSigned: false })
      crowd = crowdLabelledDataset(digits(0, REFERENCE_ROWS + 300), '7', '1', 5)
    })
    afterAll(() => t.stop())

    const submit = (answers: unknown[], token = setup.contributorToken) =>
      t.call('POST', `/v1/datasets/${setup.datasetId}/annotations`, {
        token,
        body: { sourceId: setup.sourceId, answers },
      })

    test('a contributor submits answers through its source, and every submission is audited', async () => {
      const none = await t.call('GET', `/v1/datasets/${setup.datasetId}/crowd`, { token: t.adminToken })
      expect(none.status).toBe(404)
      const size = crowd.poisoned.rowCount
      for (const [from, to] of [
        [0, REFERENCE_ROWS],
        [REFERENCE_ROWS, size],
      ]) {
        const answers = answersAbout(crowd.table, from, to)
        const response = await submit(answers)
        expect(response.status, JSON.stringify(response.body)).toBe(201)
        expect(response.body).toMatchObject({ answers: answers.length, items: to - from, annotators: 20 })
      }
      const submissions = (await t.service.store.auditEntries())
        .map((row) => JSON.parse(row.entry))
        .filter((entry) => entry.action === 'annotations.submit')
      expect(submissions).toHaveLength(2)
      for (const entry of submissions) expect(entry.actor).toBe(setup.contributorId)
    })

    test('answers go through a source the contributor owns, and bad answers get coded 400s', async () => {
      const other = await createUserVia(t, 'other-annotating-contributor')
      await t.call('PUT', `/v1/projects/${setup.projectId}/members/${other.id}`, {
        token: t.adminToken,
        body: { role: 'contributor' },
      })
      const answers = answersAbout(crowd.table, 0, 10)
      expect((await submit(answers, other.token)).status).toBe(403)
      const empty = await submit([])
      expect(empty.status).toBe(400)
      expect(empty.body.error.code).toBe('INVALID_ARGUMENT')
      const unlabelled = await submit([{ item: 'a', annotator: 'b' }])
      expect(unlabelled.status).toBe(400)
      expect(unlabelled.body.error.message).toMatch(/body\.answers\.0\.label/)
    })

    test('answers about a batch of no such dataset are refused with 404', async () => {
      const response = await t.call('POST', `/v1/datasets/${setup.datasetId}/annotations`, {
        token: setup.contributorToken,
        body: {
          sourceId: setup.sourceId,
          batchId: '00000000-0000-4000-8000-000000000000',
          answers: answersAbout(crowd.table, 0, 10),
        },
      })
      expect(response.status).toBe(404)
      expect(response.body.error.code).toBe('NOT_FOUND')
    })

    test('the scan of the batch disputes the labels the colluders pushed in', async () => {
      const lines = toCsv(crowd.poisoned).split('\n')
      batch = await submitAndWait(t, setup, `${[lines[0], ...lines.slice(REFERENCE_ROWS + 1)].join('\n')}`)
      expect(batch.status).not.toBe('accepted')
      const disputed = new Set(
        batch.result.scan.records
          .filter((record: Json) =>
            record.findings.some((finding: Json) => finding.detector === 'crowd-consensus'),
          )
          .map((record: Json) => record.id),
      )
      const pushedIds = crowd.poisoned.ids.filter(
        (_, row) => row >= REFERENCE_ROWS && crowd.pushed[row] === 1,
      )
      expect(pushedIds.length).toBeGreaterThan(10)
      expect(pushedIds.filter((id) => disputed.has(id)).length).toBeGreaterThanOrEqual(0.8 * pushedIds.length)
    })

    test("the batch's result names the colluders, their group, and few honest annotators", () => {
      const summary = batch.result.crowd
      expect(summary).toMatchObject({ answeredRecords: 300, annotators: 20 })
      // Annotators are named after the source their answers came through.
      const colluders = crowd.colluderIds.map((id) => `feedback-feed/${id}`)
      const flagged = summary.flaggedAnnotators.map((entry: Json) => entry.annotator)
      expect(colluders.filter((id) => flagged.includes(id)).length).toBeGreaterThanOrEqual(3)
      expect(flagged.filter((id: string) => !colluders.includes(id)).length).toBeLessThanOrEqual(1)
      const group = summary.groups.find(
        (entry: Json) => colluders.filter((id) => entry.annotators.includes(id)).length >= 3,
      )
      expect(group?.pushed).toMatchObject({ trueClass: '7', label: '1' })
      expect(group?.evidence.length).toBeGreaterThan(0)
      expect(group?.records).toBeGreaterThan(0)
      const crowdReason = batch.result.reasons.find((reason: Json) => reason.stage === 'crowd')
      expect(crowdReason?.decision).toBe('needs_review')
      for (const colluder of group.annotators) expect(crowdReason.message).toContain(colluder)
    })

    test('reviewers see the whole crowd as the scan aggregated it; contributors do not', async () => {
      const report = await t.call('GET', `/v1/datasets/${setup.datasetId}/crowd`, { token: t.adminToken })
      expect(report.status).toBe(200)
      expect(report.body).toMatchObject({ answers: crowd.table.item.length, items: crowd.poisoned.rowCount })
      expect(report.body.annotators).toHaveLength(20)
      const flagged = report.body.annotators
        .filter((entry: Json) => entry.flagged)
        .map((entry: Json) => entry.annotator)
      expect(flagged).toEqual(batch.result.crowd.flaggedAnnotators.map((entry: Json) => entry.annotator))
      const denied = await t.call('GET', `/v1/datasets/${setup.datasetId}/crowd`, {
        token: setup.contributorToken,
      })
      expect(denied.status).toBe(403)
    })

    test("a source answers only for its own annotators, never in another source's name", async () => {
      const other = await createUserVia(t, 'second-vendor')
      await t.call('PUT', `/v1/projects/${setup.projectId}/members/${other.id}`, {
        token: t.adminToken,
        body: { role: 'contributor' },
      })
      const source = await t.call('POST', `/v1/projects/${setup.projectId}/sources`, {
        token: t.adminToken,
        body: { name: 'second-feed', ownerUserId: other.id },
      })
      const answers = answersAbout(crowd.table, 0, 5).filter((answer) => answer.annotator === 'worker0')
      const sent = await t.call('POST', `/v1/datasets/${setup.datasetId}/annotations`, {
        token: other.token,
        body: { sourceId: source.body.id, answers: answers.map((answer) => ({ ...answer, label: '3' })) },
      })
      expect(sent.status).toBe(201)
      const table = await datasetAnswers(t.service.store, setup.datasetId)
      expect(table?.annotatorIds).toEqual(
        expect.arrayContaining(['feedback-feed/worker0', 'second-feed/worker0']),
      )
    })

    test('submissions of answers count against the per-source hourly limit', async () => {
      const policy = await t.call('PUT', `/v1/projects/${setup.projectId}/policy`, {
        token: t.adminToken,
        body: { requireSigned: false, maxBatchesPerHour: 2 },
      })
      expect(policy.status).toBe(200)
      const refused = await submit(answersAbout(crowd.table, 0, 10))
      expect(refused.status).toBe(429)
      expect(refused.body.error.message).toMatch(
        /sent 2 submissions of answers in the last hour; the limit is 2/,
      )
    })

    test('a quarantined source may send no answers', async () => {
      await t.call('POST', `/v1/sources/${setup.sourceId}/quarantine`, { token: t.adminToken })
      const refused = await submit(answersAbout(crowd.table, 0, 10))
      expect(refused.status).toBe(403)
      expect(refused.body.error.message).toMatch(/quarantined and may not submit batches or annotations/)
    })
  })
}
