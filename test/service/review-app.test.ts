import { mkdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import { effectiveDecisions, type ReviewDecision } from '../../src/domain/review.js'
import { WEB_CSP } from '../../src/server/web.js'
import { chromiumPath, hasChromium, launchChromium, seriousViolations } from '../fixtures/browser.js'
import { mnistDataset } from '../fixtures/datasets.js'
import { toCsv } from './data.js'
import { type ProjectSetup, REVIEW_POLICY, setUpProject, submitAndWait } from './flow.js'
import { type Json, startTestService, type TestService } from './harness.js'

/*
 * The review app end to end in Debian's chromium (through playwright-core; never a downloaded browser, and the
 * suite skips without /usr/bin/chromium): a reviewer logs in, opens the verdict of a batch of MNIST digits with a
 * planted patch backdoor, reviews ten records with the keyboard, undoes one, drops all carriers of the trigger at
 * once and accepts the batch; the exported version and the audit log must show exactly those decisions. A viewer
 * sees the same pages but cannot act. Every page is screenshotted and checked with axe-core.
 */
if (!hasChromium) console.warn(`skipping the review app test: ${chromiumPath} is not installed`)
const artefacts = process.env.REVIEW_ARTEFACTS ?? join(tmpdir(), 'poisonguard-review-artefacts')
const REFERENCE_ROWS = 800
const BATCH_ROWS = 800
const PASSWORD = 'correct horse battery staple'

function parseCsv(text: string): { header: string[]; rows: Map<string, string[]> } {
  const [header, ...lines] = text.trim().split('\n')
  return {
    header: header.split(','),
    rows: new Map(lines.map((line) => [line.split(',')[0], line.split(',')])),
  }
}

describe.skipIf(!hasChromium)('the review app', () => {
  let t: TestService
  let setup: ProjectSetup
  let browser: Browser
  let batch: Json
  let carriers: string[]
  let batchCsv: string
  const users = {} as Record<'owner' | 'reviewer' | 'viewer', { id: string; token: string }>
  const problems: string[] = []

  beforeAll(async () => {
    await build({ configFile: fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url)) })
    mkdirSync(artefacts, { recursive: true })
    t = await startTestService()
    // Severe findings go to a person rather than to quarantine, so the batch waits in the review queue.
    setup = await setUpProject(t, REVIEW_POLICY, 'digits')
    await t.call('POST', '/v1/projects', { token: t.adminToken, body: { name: 'elsewhere' } })
    for (const role of ['owner', 'reviewer', 'viewer'] as const) {
      const created = await t.call('POST', '/v1/users', {
        token: t.adminToken,
        body: { name: role, password: PASSWORD },
      })
      users[role] = { id: created.body.id, token: created.body.token }
      await t.call('PUT', `/v1/projects/${setup.projectId}/members/${created.body.id}`, {
        token: t.adminToken,
        body: { role },
      })
    }
    const planted = applyAttack(
      'backdoor-patch',
      mnistDataset(BATCH_ROWS, REFERENCE_ROWS),
      { rate: 0.05, target: '0' },
      1,
    )
    carriers = planted.poisonedIds
    batchCsv = toCsv(planted.dataset, 255)
    const reference = await t.call('POST', `/v1/projects/${setup.projectId}/datasets`, {
      token: t.adminToken,
      body: { name: 'mnist', format: 'csv', data: toCsv(mnistDataset(REFERENCE_ROWS), 255) },
    })
    setup = { ...setup, datasetId: reference.body.datasetId }
    batch = await submitAndWait(t, setup, batchCsv)
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await t?.stop()
  })

  /** A logged-in browser context; requests off this server are refused and noted, console errors collected. */
  async function logIn(name: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    })
    const page = await context.newPage()
    const origin = new URL(t.service.url).origin
    await page.route('**/*', (route) => {
      const url = route.request().url()
      if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:'))
        return route.continue()
      problems.push(`external request ${url}`)
      return route.abort()
    })
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 40[13]/.test(message.text()))
        problems.push(`${name}: ${message.text()}`)
    })
    page.on('pageerror', (error) => problems.push(`${name}: ${error.message}`))
    await page.goto(`${t.service.url}/`)
    await page.getByLabel('User name').waitFor()
    if (name === 'reviewer') await inspect(page, 'login')
    await page.getByLabel('User name').fill(name)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor()
    return { context, page }
  }

  /** Screenshots the page as it is and checks it with axe-core: no serious or critical violation. */
  async function inspect(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(artefacts, `${name}.png`), fullPage: true })
    expect(await seriousViolations(page), `${name}: axe violations`).toEqual([])
  }

  /** Opens a page of the app, waits for its content, then inspects it. */
  async function visit(page: Page, path: string, name: string, ready: string): Promise<void> {
    await page.goto(`${t.service.url}/#${path}`)
    await page.getByText(ready).first().waitFor()
    await inspect(page, name)
  }

  async function decisions(): Promise<ReviewDecision[]> {
    const queue = await t.call('GET', `/v1/batches/${batch.id}/review-queue`, { token: t.adminToken })
    return queue.body.decisions
  }

  test('the server sends the app with its content types and a strict policy', async () => {
    const index = await fetch(`${t.service.url}/`)
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(index.headers.get('content-security-policy')).toBe(WEB_CSP)
    const html = await index.text()
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1]
    expect(script).toBeDefined()
    const asset = await fetch(`${t.service.url}${script}`)
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(asset.headers.get('x-content-type-options')).toBe('nosniff')
    expect(html).not.toMatch(/<script>|<style>|https?:\/\//)
    expect((await fetch(`${t.service.url}/assets/missing.js`)).status).toBe(404)
    expect((await t.call('GET', '/v1/me')).status).toBe(401)
  })

  test('a reviewer reviews a planted backdoor with the keyboard, drops its carriers, and the export shows it', async () => {
    expect(batch.status).toBe('needs_review')
    const { context, page } = await logIn('reviewer')
    // Reviewers see only their projects.
    await page.getByRole('link', { name: 'digits' }).waitFor()
    expect(await page.getByRole('link', { name: 'digits' }).count()).toBe(1)
    expect(await page.getByRole('link', { name: 'elsewhere' }).count()).toBe(0)
    await inspect(page, 'projects')
    await visit(page, `/projects/${setup.projectId}`, 'project', 'mnist')
    await visit(page, `/datasets/${setup.datasetId}`, 'batches', 'needs review')
    await visit(page, `/batches/${batch.id}`, 'verdict', 'POISONED')
    const verdict = await page.locator('#verdict').innerText()
    expect(verdict).toMatch(/3×3 patch .* at x 24–26, y 24–26/)
    expect(await page.locator('#verdict .trigger-box').count()).toBe(1)
    await visit(page, `/batches/${batch.id}/drift`, 'drift', 'columns drifted')
    expect(await page.locator('.drift-map').count()).toBe(1)
    await visit(page, `/projects/${setup.projectId}/sources`, 'sources', 'digits-feed')
    // Quarantining a source is for owners and admins: the page offers it, the server refuses a reviewer.
    await page.getByRole('button', { name: 'Quarantine digits-feed' }).click()
    await page.getByRole('alert').filter({ hasText: 'the reviewer role may not' }).waitFor()

    await visit(page, `/batches/${batch.id}/review`, 'review', 'flagged records decided')
    const itemCount = await page.locator('.queue-item').count()
    expect(itemCount).toBeGreaterThan(10)
    // Ten records by keyboard, each kept or dropped; the queue moves on to the next record by itself.
    const keys = ['k', 'd', 'k', 'd', 'd', 'k', 'd', 'k', 'd', 'd']
    for (const [index, key] of keys.entries()) {
      await page.getByRole('heading', { name: new RegExp(`\\(${index + 1} of ${itemCount}\\)`) }).waitFor()
      await page.keyboard.press(key)
      await page.getByText(new RegExp(`^${index + 1} of ${itemCount} flagged records decided`)).waitFor()
    }
    await page.keyboard.press('u')
    await page.getByText(new RegExp(`^9 of ${itemCount} flagged records decided`)).waitFor()
    const afterKeys = await decisions()
    expect(afterKeys.map((decision) => decision.action)).toEqual(
      keys.map((key) => (key === 'k' ? 'keep' : 'drop')),
    )
    expect(afterKeys.map((decision) => decision.undoneAt === null)).toEqual(
      [...keys.map(() => true)].fill(false, 9),
    )
    expect(new Set(afterKeys.map((decision) => decision.actor))).toEqual(new Set([users.reviewer.id]))
    // The trigger's group: drop every carrier in one action.
    const bulk = page.locator('.bulk li', { hasText: 'carriers of this trigger' }).first()
    await bulk.getByRole('button', { name: /^Drop all \d+$/ }).click()
    await page
      .getByText(/^Dropped \d+ records/)
      .first()
      .waitFor()
    // A second look at the most suspicious record: relabelled after all, through the label menu and the keyboard.
    await page.locator('.queue-item').first().click()
    await page.getByLabel('New label').selectOption('7')
    await page.getByLabel('New label').blur()
    await page.keyboard.press('r')
    const relabelled = await page.locator('.queue-item').first().locator('code').innerText()
    await page.getByText(`Relabelled record ${relabelled} as 7.`).first().waitFor()
    await page.screenshot({ path: join(artefacts, 'review-decided.png'), fullPage: true })
    const all = await decisions()
    const bulkDecision = all.at(-2)!
    expect(bulkDecision.recordIds.length).toBeGreaterThan(10)
    // The recovered trigger's carriers are the planted ones.
    const planted = new Set(carriers)
    expect(bulkDecision.recordIds.filter((id) => planted.has(id)).length).toBeGreaterThanOrEqual(
      0.9 * bulkDecision.recordIds.length,
    )
    expect(all.at(-1)).toMatchObject({ action: 'relabel', label: '7', recordIds: [relabelled] })

    await page.getByRole('button', { name: 'Apply decisions and accept the batch' }).click()
    await page.getByText(/^Accepted as the next version/).waitFor()

    // The export of the new version holds the reviewed batch: dropped records gone, the relabelled one changed.
    const dataset = await t.call('GET', `/v1/datasets/${setup.datasetId}`, { token: t.adminToken })
    const latest = dataset.body.versions.at(-1)
    expect(latest.batchId).toBe(batch.id)
    const exported = await t.exportVersion(latest.id, t.adminToken)
    const version = parseCsv(exported.body.data)
    const original = parseCsv(batchCsv)
    const flagged = new Set(
      batch.result.scan.records.filter((record: Json) => record.flagged).map((record: Json) => record.id),
    )
    const effective = effectiveDecisions(all)
    let expectedRows = REFERENCE_ROWS
    for (const [id, row] of original.rows) {
      const decision = effective.get(id)
      const dropped = flagged.has(id) && (!decision || decision.action === 'drop')
      if (dropped) {
        expect(version.rows.has(id), `${id} was dropped`).toBe(false)
        continue
      }
      expectedRows++
      const label = decision?.action === 'relabel' ? decision.label : row[1]
      expect(version.rows.get(id), id).toEqual([id, label, ...row.slice(2)])
    }
    expect(version.rows.size).toBe(expectedRows)
    expect(version.rows.get(relabelled)?.[1]).toBe('7')
    for (const id of carriers.filter((carrier) => effective.get(carrier)?.action === 'drop'))
      expect(version.rows.has(id)).toBe(false)

    // The audit log holds every decision with its reviewer, the undo, the acceptance, and still verifies.
    await visit(page, `/projects/${setup.projectId}/audit`, 'audit', 'Verified')
    const audit = await t.call('GET', `/v1/projects/${setup.projectId}/audit`, {
      token: users.reviewer.token,
    })
    expect(audit.body.verification.ok).toBe(true)
    const mine = audit.body.entries.filter((entry: Json) => entry.actor === users.reviewer.id)
    const count = (action: string) => mine.filter((entry: Json) => entry.action === action).length
    expect([count('review.decide'), count('review.undo'), count('batch.review')]).toEqual([all.length, 1, 1])
    const accepted = mine.find((entry: Json) => entry.action === 'batch.review')
    expect(accepted.details).toMatchObject({ decision: 'accept', version: latest.id })
    await visit(page, `/datasets/${setup.datasetId}/versions`, 'versions', 'v2')
    await context.close()
  })

  test("an owner's Export button waits for the queued export and saves the version's snapshot", async () => {
    const { context, page } = await logIn('owner')
    const dataset = await t.call('GET', `/v1/datasets/${setup.datasetId}`, { token: t.adminToken })
    const latest = dataset.body.versions.at(-1)
    await visit(page, `/datasets/${setup.datasetId}/versions`, 'versions-owner', `v${latest.number}`)
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: `Export version ${latest.number}` }).click(),
    ])
    const saved = JSON.parse(readFileSync(await download.path(), 'utf8'))
    expect(saved.version).toMatchObject({ id: latest.id, sha256: latest.sha256 })
    expect(saved.data).toBe((await t.exportVersion(latest.id, t.adminToken)).body.data)
    const audit = await t.call('GET', `/v1/projects/${setup.projectId}/audit`, { token: users.owner.token })
    const exports = audit.body.entries.filter(
      (entry: Json) => entry.action === 'version.export' && entry.actor === users.owner.id,
    )
    expect(exports).toHaveLength(1)
    await context.close()
  })

  test('a viewer sees the queue but cannot act, in the page or behind it', async () => {
    const before = (await decisions()).length
    const { context, page } = await logIn('viewer')
    await visit(page, `/batches/${batch.id}/review`, 'review-viewer', 'may not decide')
    expect(await page.getByRole('button', { name: /Drop/ }).first().isDisabled()).toBe(true)
    await page.keyboard.press('d')
    const status = await page.evaluate(async (batchId) => {
      const response = await fetch(`/v1/batches/${batchId}/decisions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-csrf-token': sessionStorage.getItem('poisonguard-csrf') ?? '',
        },
        body: JSON.stringify({ action: 'drop', recordIds: ['m900'] }),
      })
      return response.status
    }, batch.id)
    expect(status).toBe(403)
    expect((await decisions()).length).toBe(before)
    await context.close()
    expect(problems).toEqual([])
  })
})
