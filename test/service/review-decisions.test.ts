import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { flippedBatchCsv } from './data.js'
import { type ProjectSetup, setUpReviewProject, submitAndWait } from './flow.js'
import { type Json, startTestService, type TestService } from './harness.js'

/*
 * Record-level review over the API: what a decision may name, which decision counts for a record, undo, and what
 * accepting the reviewed batch writes into the next version. The browser test drives the same routes through the app.
 */
describe('review decisions about flagged records', () => {
  let t: TestService
  let setup: ProjectSetup
  let reviewer: { id: string; token: string }
  let batch: Json
  let csv: string
  let flagged: string[]
  const decide = (body: unknown) =>
    t.call('POST', `/v1/batches/${batch.id}/decisions`, { token: reviewer.token, body })

  beforeAll(async () => {
    t = await startTestService()
    ;({ setup, reviewer } = await setUpReviewProject(t))
    csv = flippedBatchCsv(460, 60)
    batch = await submitAndWait(t, setup, csv)
    flagged = batch.result.scan.records
      .filter((record: Json) => record.flagged)
      .map((record: Json) => record.id)
  })
  afterAll(() => t.stop())

  test('the batch waits for review with enough flagged records to decide about', () => {
    expect(batch.status).toBe('needs_review')
    expect(flagged.length).toBeGreaterThanOrEqual(4)
  })

  test('a decision must name flagged records, and a label exactly when it relabels', async () => {
    const unflagged = csv
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',')[0])
      .find((id) => !flagged.includes(id))
    const refused = await decide({ action: 'drop', recordIds: [unflagged] })
    expect(refused.status).toBe(400)
    expect(refused.body.error.message).toMatch(/not flagged records of this batch/)
    expect((await decide({ action: 'relabel', recordIds: [flagged[0]] })).body.error.message).toMatch(
      /needs the new label/,
    )
    expect((await decide({ action: 'keep', recordIds: [flagged[0]], label: '3' })).status).toBe(400)
    expect((await decide({ action: 'drop', recordIds: [] })).status).toBe(400)
    const queue = await t.call('GET', `/v1/batches/${batch.id}/review-queue`, { token: reviewer.token })
    expect(queue.body.decisions).toEqual([])
    expect(queue.body.canDecide).toBe(true)
    expect(queue.body.items.map((item: Json) => item.id).sort()).toEqual([...flagged].sort())
    expect(queue.body.items.every((item: Json) => item.neighbours.length === 5)).toBe(true)
  })

  test('the latest decision about a record counts, an undone one does not, and accepting applies them', async () => {
    const [dropped, reconsidered, relabelled, kept] = flagged
    expect((await decide({ action: 'drop', recordIds: [dropped, reconsidered] })).status).toBe(201)
    const keep = await decide({ action: 'keep', recordIds: [reconsidered] })
    expect((await decide({ action: 'relabel', recordIds: [relabelled], label: '8' })).status).toBe(201)
    expect((await decide({ action: 'keep', recordIds: [kept] })).status).toBe(201)
    const undo = `/v1/batches/${batch.id}/decisions/${keep.body.id}/undo`
    expect((await t.call('POST', undo, { token: reviewer.token, body: {} })).body.undoneBy).toBe(reviewer.id)
    expect((await t.call('POST', undo, { token: reviewer.token, body: {} })).status).toBe(409)

    // Accepting the batch whole would let the dropped records through: refused while decisions count.
    const whole = await t.call('POST', `/v1/batches/${batch.id}/review`, {
      token: reviewer.token,
      body: { decision: 'accept' },
    })
    expect(whole.status).toBe(409)
    expect(whole.body.error.message).toMatch(/3 record decision\(s\) a whole-batch accept would ignore/)

    const applied = await t.call('POST', `/v1/batches/${batch.id}/decisions/apply`, {
      token: reviewer.token,
      body: { note: 'checked by hand' },
    })
    expect(applied.status).toBe(200)
    expect(applied.body).toMatchObject({ dropped: 2, relabelled: 1, kept: 1, undecided: flagged.length - 4 })
    const exported = await t.exportVersion(applied.body.versionId, t.adminToken)
    const rows = new Map(
      exported.body.data
        .trim()
        .split('\n')
        .map((line: string) => [line.split(',')[0], line]),
    )
    const original = new Map(
      csv
        .trim()
        .split('\n')
        .map((line) => [line.split(',')[0], line]),
    )
    const undecided = flagged.slice(4)
    for (const [id, line] of original) {
      if (id === 'id') continue
      if ([dropped, reconsidered, ...undecided].includes(id)) expect(rows.has(id), id).toBe(false)
      else if (id === relabelled) expect(rows.get(id)).toBe(line.replace(/^([^,]*),[^,]*,/, '$1,8,'))
      else expect(rows.get(id), id).toBe(line)
    }
    expect((await decide({ action: 'keep', recordIds: [kept] })).status).toBe(409)

    const entries = (await t.service.store.auditEntries()).map((row) => JSON.parse(row.entry))
    const review = entries.filter(
      (entry) => entry.subject === `batch:${batch.id}` && entry.actor === reviewer.id,
    )
    expect(review.map((entry) => entry.action)).toEqual([
      'review.decide',
      'review.decide',
      'review.decide',
      'review.decide',
      'review.undo',
      'batch.review',
    ])
    expect(review[0].details.records).toEqual([dropped, reconsidered])
    expect(review.at(-1).details).toMatchObject({ decision: 'accept', note: 'checked by hand', dropped: 2 })
  })

  test("the project's audit log lists its entries and shows a changed entry as a failed verification", async () => {
    const path = `/v1/projects/${setup.projectId}/audit`
    const before = await t.call('GET', path, { token: reviewer.token })
    expect(before.body.verification).toEqual({ ok: true, entries: before.body.head.treeSize, failures: [] })
    const seqs = before.body.entries.map((entry: Json) => entry.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a))
    expect(before.body.entries.slice(0, 2).map((entry: Json) => entry.action)).toEqual([
      'version.export',
      'batch.review',
    ])
    expect(before.body.entries.every((entry: Json) => !entry.subject.startsWith('user:'))).toBe(true)
    const decided = await t.service.store.db
      .selectFrom('audit_log')
      .selectAll()
      .where('entry', 'like', '%"review.decide"%')
      .executeTakeFirstOrThrow()
    await t.service.store.db
      .updateTable('audit_log')
      .set({ entry: decided.entry.replace('"drop"', '"keep"') })
      .where('seq', '=', decided.seq)
      .execute()
    const after = await t.call('GET', path, { token: reviewer.token })
    expect(after.body.verification.ok).toBe(false)
    expect(after.body.verification.failures.join(' ')).toMatch(/the log was changed/)
  })
})
