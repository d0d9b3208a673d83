import { mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import { checkBatch } from '../../src/drift/check.js'
import { renderCheckHtml } from '../../src/drift/html.js'
import { createPortableBackend } from '../../src/linalg/portable.js'
import { scanHtmlWriter } from '../../src/report/writers/html.js'
import { scanDataset } from '../../src/scan/scan.js'
import { chromiumPath, hasChromium, launchChromium, seriousViolations } from '../fixtures/browser.js'
import { mnistDataset } from '../fixtures/datasets.js'

/*
 * The static reports as people get them: a scan of 2,000 MNIST digits with a 3% patch backdoor and a check of a
 * patched batch of 784 pixel columns against clean digits, rendered to HTML and opened in Debian's chromium
 * through playwright-core (never a downloaded browser; without /usr/bin/chromium the browser part skips).
 * Screenshots and the pages go to REPORT_ARTEFACTS, or a folder in the system's temporary directory.
 */
const ROW_COUNT = 2_000
const artefacts = process.env.REPORT_ARTEFACTS ?? join(tmpdir(), 'poisonguard-report-artefacts')
if (!hasChromium) console.warn(`skipping the browser test of the reports: ${chromiumPath} is not installed`)

async function scanPage(): Promise<{ html: string; explanations: string[] }> {
  const planted = applyAttack('backdoor-patch', mnistDataset(ROW_COUNT), { rate: 0.03, target: '0' }, 1)
  const report = await scanDataset(planted.dataset, { backend: createPortableBackend(), seed: 7 })
  const explanations = new Set<string>()
  for (const record of report.records)
    for (const finding of record.findings) if (record.flagged) explanations.add(finding.explanation)
  return {
    html: String(scanHtmlWriter.render(report, { dataset: planted.dataset })),
    explanations: [...explanations],
  }
}

function checkPage(): string {
  const reference = mnistDataset(1_000, ROW_COUNT)
  const batch = applyAttack(
    'backdoor-patch',
    mnistDataset(1_000, ROW_COUNT + 1_000),
    { rate: 0.2 },
    2,
  ).dataset
  return renderCheckHtml(
    checkBatch(reference, batch, { permutations: 30, createdAt: new Date('2026-01-01') }),
  )
}

function sectionOf(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}"`)
  expect(start).toBeGreaterThan(0)
  return html.slice(start, html.indexOf('</section>', start))
}

function occurrences(html: string, text: string): number {
  return html.split(text).length - 1
}

describe('the static reports of a planted backdoor and a drifted batch', () => {
  let scan: Awaited<ReturnType<typeof scanPage>>
  let check: string
  let browser: Browser | undefined
  beforeAll(async () => {
    scan = await scanPage()
    check = checkPage()
    mkdirSync(artefacts, { recursive: true })
    writeFileSync(join(artefacts, 'scan.html'), scan.html)
    writeFileSync(join(artefacts, 'check.html'), check)
    if (hasChromium) browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
  })

  it('names the trigger, its class and carriers in the first section, with the command to act on it', () => {
    const verdict = sectionOf(scan.html, 'verdict')
    expect(scan.html.indexOf('<section id="verdict"')).toBeLessThan(
      scan.html.indexOf('<section id="findings"'),
    )
    expect(verdict).toContain('POISONED')
    expect(verdict).toMatch(/a 3×3 patch of value 1 at x 24–26, y 24–26 on \d+ images labelled 0/)
    expect(verdict).toMatch(/<dt>Class<\/dt><dd>0<\/dd>/)
    expect(verdict).toMatch(/<dt>Records<\/dt><dd>\d+ \(/)
    expect(verdict).toContain('<rect class="trigger-box" x="23.5" y="23.5" width="4" height="4"')
    expect(verdict).toContain('--export-clean')
  })

  it('says each explanation once for its group instead of once per record', () => {
    const findings = sectionOf(scan.html, 'findings')
    expect(scan.explanations.length).toBeGreaterThan(10)
    for (const explanation of scan.explanations)
      expect(occurrences(findings, explanation.replaceAll("'", '&#39;'))).toBeLessThanOrEqual(1)
  })

  it('shows a 784-pixel check as a heat map and the most shifted columns, the rest folded away', () => {
    const columns = sectionOf(check, 'columns')
    expect(columns).toContain('class="drift-map"')
    expect(columns).toMatch(/<strong>\d+ of 784 columns drifted<\/strong>/)
    // The patch sits in the bottom-right corner: the most shifted column is one of its pixels.
    const firstColumn = /<tbody><tr><th scope="row"><code>p(\d+)<\/code>/.exec(columns)
    const pixel = Number(firstColumn?.[1])
    expect([pixel % 28, Math.floor(pixel / 28)].every((at) => at >= 24 && at <= 26)).toBe(true)
  })

  it('keeps its views free of Node built-ins, so a browser app can render them too', async () => {
    const views = ['views/verdict', 'views/groups', 'views/drift', 'attacks', 'groups']
    const bundled = await build({
      stdin: {
        contents: views.map((view) => `export * from './src/report/${view}.ts'`).join('\n'),
        resolveDir: fileURLToPath(new URL('../..', import.meta.url)),
        loader: 'ts',
      },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    })
    expect(bundled.outputFiles[0].text).toContain('VerdictSection')
  })

  describe.skipIf(!hasChromium)('in chromium', () => {
    /** Opens a page with every request but `data:` refused, and returns what it tried and what it logged. */
    async function open(html: string, name: string) {
      const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } })
      const requests: string[] = []
      const errors: string[] = []
      page.on('request', (request) => {
        if (!request.url().startsWith('data:')) requests.push(request.url())
      })
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text())
      })
      page.on('pageerror', (error) => errors.push(error.message))
      await page.route('**/*', (route) =>
        route.request().url().startsWith('data:') ? route.continue() : route.abort(),
      )
      await page.setContent(html, { waitUntil: 'load' })
      await page.screenshot({ path: join(artefacts, `${name}.png`), fullPage: true })
      return { page, requests, errors }
    }

    async function visibleRows(page: Page): Promise<number> {
      return page.evaluate(
        // Rows inside a closed <details> keep their boxes in chromium but are not shown: checkVisibility knows.
        () => Array.from(document.querySelectorAll('tr')).filter((row) => row.checkVisibility()).length,
      )
    }

    it.each(['scan', 'check'] as const)(
      'renders the %s report offline, without errors, compactly and accessibly',
      async (name) => {
        const { page, requests, errors } = await open(name === 'scan' ? scan.html : check, name)
        try {
          expect(requests).toEqual([])
          expect(errors).toEqual([])
          const height = await page.evaluate(() => document.documentElement.scrollHeight)
          writeFileSync(join(artefacts, `${name}-height.txt`), `${height}\n`)
          expect(await visibleRows(page)).toBeLessThan(100)
          expect(await seriousViolations(page)).toEqual([])
        } finally {
          await page.close()
        }
      },
    )
  })
})
