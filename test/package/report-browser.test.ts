import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import type { ScanReport } from '../../src/domain/index.js'
import { checkBatch } from '../../src/drift/check.js'
import { renderCheckHtml } from '../../src/drift/html.js'
import { createPortableBackend } from '../../src/linalg/portable.js'
import { scanHtmlWriter } from '../../src/report/writers/html.js'
import { scanDataset } from '../../src/scan/scan.js'
import { mnistDataset } from '../fixtures/datasets.js'

const ROW_COUNT = 2_000
const artefacts = join(process.env.REPORT_ARTEFACTS ?? join(process.cwd(), 'temp', 'report-browser'))

/** 2,000 MNIST digits with a 3×3 patch planted on 3% of them, scanned with a fixed seed. */
async function patchBackdoorScan(): Promise<{ report: ScanReport; dataset: Dataset; html: string }> {
  const run = applyAttack('backdoor-patch', mnistDataset(ROW_COUNT), { rate: 0.03, target: '0' }, 1)
  const report = await scanDataset(run.dataset, { backend: createPortableBackend(), seed: 7 })
  return {
    report,
    dataset: run.dataset,
    html: String(scanHtmlWriter.render(report, { dataset: run.dataset })),
  }
}

describe('static reports of a real scan and check', () => {
  let scan: Awaited<ReturnType<typeof patchBackdoorScan>>
  beforeAll(async () => {
    scan = await patchBackdoorScan()
    mkdirSync(artefacts, { recursive: true })
    writeFileSync(join(artefacts, 'scan.json'), JSON.stringify(scan.report, null, 1))
    writeFileSync(join(artefacts, 'scan.html'), scan.html)
    const reference = mnistDataset(1_000, 2_000)
    const batch = applyAttack('backdoor-patch', mnistDataset(1_000, 3_000), { rate: 0.2 }, 2).dataset
    const check = checkBatch(reference, batch, {
      permutations: 30,
      createdAt: new Date('2026-01-01T00:00:00Z'),
    })
    writeFileSync(join(artefacts, 'check.json'), JSON.stringify(check, null, 1))
    writeFileSync(join(artefacts, 'check.html'), renderCheckHtml(check))
  })
  afterAll(() => {})

  it('writes', () => {
    expect(scan.report.records).toHaveLength(ROW_COUNT)
  })
})
